import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';
import { SseClient } from '../support/sse-client';

/** The Prometheus text format parser (a CommonJS module without types). */
type PrometheusFamily = {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no typings and no ESM entry
const parsePrometheusTextFormat: (text: string) => PrometheusFamily[] = require('parse-prometheus-text-format');

/** Inserts a finished (or queued) job directly, so the metrics can be checked against known values. */
async function plant(t: TestApp, job: { status: string; mode: string; tokens: number; cost: number; durationMs: number; ago?: number }) {
  const finished = ['succeeded', 'failed', 'aborted'].includes(job.status);
  const [row] = await t.dataSource.query(
    `INSERT INTO jobs (goal, repo, mode, agent_role, trace_id, status, max_attempts, max_steps, max_tokens, max_cost_cents, max_wall_ms,
                       used_tokens, used_cost_cents, started_at, finished_at, created_at)
     VALUES ('fix the bug in src/m.ts', '/srv/m', $1, 'coordinator', gen_random_uuid(), $2, 1, 10, 100000, 100, 60000, $3, $4,
             now() - ($5::bigint + $6::bigint) * interval '1 millisecond', CASE WHEN $7::boolean THEN now() - $6::bigint * interval '1 millisecond' END, now() - ($5::bigint + $6::bigint + 10) * interval '1 millisecond')
     RETURNING id`,
    [job.mode, job.status, job.tokens, job.cost, job.durationMs, job.ago ?? 0, finished],
  );
  return row.id as string;
}

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    await plant(t, { status: 'succeeded', mode: 'mechanic', tokens: 1000, cost: 10, durationMs: 1000 });
    await plant(t, { status: 'succeeded', mode: 'mechanic', tokens: 3000, cost: 30, durationMs: 3000 });
    await plant(t, { status: 'failed', mode: 'genius', tokens: 8000, cost: 80, durationMs: 5000 });
    await plant(t, { status: 'queued', mode: 'genius', tokens: 0, cost: 0, durationMs: 0 });
    // Outside the window: must not count.
    await plant(t, { status: 'succeeded', mode: 'mechanic', tokens: 99_000, cost: 99, durationMs: 1000, ago: 3 * 86_400_000 });
  });
  afterAll(async () => t?.close());

  it('agrees with a known set of jobs', async () => {
    const m = (await api(t.url, 'GET', '/api/metrics')).body;
    expect(m.jobs).toEqual({ total: 4, byStatus: { succeeded: 2, failed: 1, queued: 1 }, byMode: { mechanic: 2, genius: 2 } });
    expect(m.successRate).toBeCloseTo(2 / 3, 4);
    expect(m.durationMs).toEqual({ p50: 3000, p95: 4800 });
    expect(m.tokens).toEqual({ total: 12000, perJob: 4000, perSucceededJob: 2000, chat: 0 });
    expect(m.costCents).toEqual({ total: 120, perJob: 40, perSucceededJob: 20, chat: 0 });
    expect(m.chat).toEqual({ modelCalls: 0, tokens: 0, costCents: 0 });
    expect(m.queue.depth).toBe(1);
    expect(m.queue.oldestQueuedAgeMs).toBeGreaterThanOrEqual(0);
    expect(m.series.daily.reduce((a: number, p: any) => a + p.jobs, 0)).toBe(3);
    const wide = (await api(t.url, 'GET', `/api/metrics?since=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`)).body;
    expect(wide.tokens.total).toBe(111_000);
    expect((await api(t.url, 'GET', '/api/metrics?since=yesterday')).status).toBe(400);
  });

  it('serves Prometheus text that a real parser reads, with the job, queue, model-call and tool-call families', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const families = parsePrometheusTextFormat(await res.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const name of [
      'aict_jobs',
      'aict_queue_depth',
      'aict_queue_oldest_age_seconds',
      'aict_workers_alive',
      'aict_model_calls_total',
      'aict_model_call_duration_seconds',
      'aict_tool_calls_total',
      'aict_tool_call_duration_seconds',
      'aict_job_run_duration_seconds',
    ]) {
      expect(byName.has(name), name).toBe(true);
    }
    const jobs = byName.get('aict_jobs')!.metrics;
    expect(jobs.find((m) => m.labels?.status === 'succeeded' && m.labels?.mode === 'mechanic')?.value).toBe('3');
    expect(byName.get('aict_queue_depth')!.metrics.find((m) => m.labels?.mode === 'genius')?.value).toBe('1');
    expect(byName.get('aict_model_call_duration_seconds')!.type).toBe('HISTOGRAM');
  });

  it('pushes metrics live over SSE', async () => {
    const sse = new SseClient(`${t.url}/api/metrics/stream`);
    const [first] = await sse.until((m) => m.some((x) => x.event === 'metrics'));
    expect(first.data.jobs.total).toBe(4);
    sse.close();
  });
});
