import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelGateway } from '@app/agents';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

/** Added to every statement about the job, as if the database were far away: statements sent together overlap, one after another do not. */
const DISTANCE_MS = 150;

interface Statement {
  sql: string;
  start: number;
  end: number;
}

/** Groups of statements in flight together: how many times the caller waited for the database. */
function waits(statements: Statement[]): number {
  let count = 0;
  let until = -Infinity;
  for (const s of [...statements].sort((a, b) => a.start - b.start)) {
    if (s.start >= until) count++;
    until = Math.max(until, s.end);
  }
  return count;
}

describe('the bookkeeping of an agent step (real PostgreSQL, real SDK against the fake Messages API)', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-agent-step-'));
    chmodSync(root, 0o777);
    t = await startTestApp({
      env: {
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data'),
        ESCALATION: 'off',
        SANDBOX: 'none',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const submit = async (goal: string, extra: Record<string, unknown> = {}) => {
    const repo = await makeRepo('calc-js', join(root, `repo-${goal.length}-${Date.now()}`));
    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder', ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const ended = (id: string) =>
    waitFor(
      async () => {
        const j = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
        return ['succeeded', 'failed', 'aborted', 'waiting_human'].includes(j.status) ? j : null;
      },
      60_000,
      `job ${id} to end`,
    );

  it('waits for the database twice between one model call and the next: the settlement beside the model-call event, then the tool-call event beside the checkpoint and the next reservation', async () => {
    const goal = 'analyze src/calc.js for dead code [agent-step]';
    const steps = 4;
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          ...Array.from({ length: steps }, (_, i) => reply(`step ${i}`, toolUse('read_file', { path: 'src/calc.js' }))),
          reply('done'),
        ],
      },
    });

    // Model calls are timed where the runner makes them; statements about the job are timed (and
    // delayed) where every module sends them, through the one DataSource.
    const gateway = t.get<ModelGateway>(ModelGateway);
    const call = gateway.call.bind(gateway);
    const calls: { start: number; end: number }[] = [];
    gateway.call = async (request) => {
      const timing = { start: performance.now(), end: Infinity };
      calls.push(timing);
      try {
        return await call(request);
      } finally {
        timing.end = performance.now();
      }
    };
    let jobId = '';
    const statements: Statement[] = [];
    const query = t.dataSource.query.bind(t.dataSource);
    t.dataSource.query = (async (sql: string, params?: unknown[], ...rest: unknown[]) => {
      const about = jobId !== '' && calls.length > 0 && (params ?? []).some((p) => typeof p === 'string' && p.includes(jobId));
      if (!about) return query(sql, params, ...(rest as []));
      const statement = { sql, start: performance.now(), end: Infinity };
      statements.push(statement);
      try {
        await new Promise((ok) => setTimeout(ok, DISTANCE_MS));
        return await query(sql, params, ...(rest as []));
      } finally {
        statement.end = performance.now();
      }
    }) as typeof t.dataSource.query;

    try {
      jobId = await submit(goal);
      const job = await ended(jobId);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    } finally {
      t.dataSource.query = query;
      gateway.call = call;
    }

    expect(calls).toHaveLength(steps + 1);
    const perStep = calls.slice(1).map((next, i) => waits(statements.filter((s) => s.start >= calls[i].end && s.start < next.start)));
    expect(perStep).toEqual(Array.from({ length: steps }, () => 2));
    const events = (await api(t.url, 'GET', `/api/events?jobId=${jobId}&limit=1000`)).body.items.map((e: any) => e.type);
    const work = events.filter((type: string) => type === 'model_call' || type === 'tool_call');
    expect(work).toEqual([...Array.from({ length: steps }, () => ['model_call', 'tool_call']).flat(), 'model_call']);
    expect((await api(t.url, 'GET', `/api/jobs/${jobId}`)).body.usage.steps).toBe(steps);
  });

  it('counts no step for a tool call that the wall-time cap stops after the model call that asked for it', async () => {
    // The settlement takes the step of the turn's first call; the cap stops that call before it runs, so the step is given back.
    const goal = 'analyze src/calc.js for dead code [agent-step time cap]';
    fake.addScenario({
      match: { contains: goal },
      roles: { builder: [{ ...reply(toolUse('read_file', { path: 'src/calc.js' })), delayMs: 1_500 }, reply('late')] },
    });
    const job = await ended(await submit(goal, { maxWallMs: 1_000 }));
    expect(job.error?.code).toBe('time_limit');
    expect((await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=tool_call&limit=10`)).body.items).toEqual([]);
    expect(job.usage.steps).toBe(0);
  });
});
