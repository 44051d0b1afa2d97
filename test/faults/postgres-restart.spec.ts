import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabase, startEmbeddedDatabase } from '../../libs/common/src/database/embedded-database';
import { freePort } from '../support/free-port';
import { api, waitFor } from '../support/http';
import { scale } from '../support/long';
import { SseClient } from '../support/sse-client';
import { ServiceProcess, launchService } from '../support/processes';

const JOBS = scale(200, 2_000);
const CONCURRENCY = 4;
const WORKERS = 2;

describe('fault: PostgreSQL is restarted while workers drain the queue', () => {
  let dir: string;
  let port: number;
  let database: EmbeddedDatabase | undefined;
  const processes: ServiceProcess[] = [];
  const start = async () => (database = await startEmbeddedDatabase({ dir: join(dir, 'pg'), port, database: 'aict' }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aict-pg-restart-'));
    chmodSync(dir, 0o777);
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000)));
    await database?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (base: string, i: number) =>
    api(base, 'POST', '/api/jobs', { goal: `fix the bug in src/noop${i}.ts`, repo: '/srv/noop', mode: 'mechanic' });

  it(`recovers without manual action: ${JOBS} jobs each succeed once, nothing lost, the ledger verifies`, async () => {
    const env = {
      DATABASE_URL: database!.url,
      DATA_DIR: join(dir, 'data'),
      WORKER_CONCURRENCY: String(CONCURRENCY),
      WORK_MS: '20',
      // A lease long enough that a loaded CI machine reconnects within it after the restart.
      WORKER_LEASE_MS: '5000',
      WORKER_HEARTBEAT_MS: '500',
    };
    const apiServer = await launchService({ env: { ...env, ROLE: 'api' } });
    processes.push(apiServer);
    await apiServer.ready();
    for (let w = 0; w < WORKERS; w++) processes.push(await launchService({ env: { ...env, ROLE: 'worker' }, recording: true }));
    await Promise.all(processes.map((p) => p.ready()));

    // The API streams events through the restart too.
    const sse = new SseClient(`${apiServer.url}/api/events/stream`);
    await sse.until((m) => m.some((x) => x.event === 'snapshot'));

    for (let i = 0; i < JOBS; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, JOBS - i) }, (_, k) => create(apiServer.url, i + k)));
      for (const r of batch) expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const succeeded = async (client: Client) =>
      Number((await client.query(`SELECT count(*) FROM jobs WHERE status = 'succeeded'`)).rows[0].count);
    const probe = new Client({ connectionString: database!.url });
    await probe.connect();
    await waitFor(async () => (await succeeded(probe)) >= JOBS / 4, 60_000, 'a quarter of the jobs to finish');
    await probe.end();

    // Fast shutdown of the server under load: every connection is cut, in-flight transactions roll back.
    await database!.stop();
    const down = await api(apiServer.url, 'GET', '/api/health/ready').catch(() => ({ status: 0, body: undefined }));
    expect(down.status).toBe(503);
    const refused = await create(apiServer.url, -1);
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.error.code).toBe('database_unavailable');
    await new Promise((done) => setTimeout(done, 2_000));
    await start();

    // Nobody restarts anything: the processes reconnect on their own and finish the work.
    await Promise.all(processes.map((p) => p.ready(30_000)));
    const lateIds: string[] = [];
    for (let i = JOBS; i < JOBS + 10; i++) {
      const late = await create(apiServer.url, i);
      expect(late.status, JSON.stringify(late.body)).toBe(201);
      lateIds.push(late.body.id);
    }
    const total = JOBS + 10;
    const client = new Client({ connectionString: database!.url });
    await client.connect();
    try {
      await waitFor(async () => (await succeeded(client)) === total, 120_000, `all ${total} jobs to succeed`);
      for (const p of processes) expect(p.child.exitCode, p.output().slice(-2_000)).toBeNull();

      const statuses = (await client.query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`)).rows;
      expect(statuses).toEqual([{ status: 'succeeded', n: total }]);
      // Exactly one success per job on the ledger, whatever was retried.
      const successes = (
        await client.query(
          `SELECT job_id, count(*)::int AS n FROM ledger WHERE kind = 'job.status' AND data->>'to' = 'succeeded' GROUP BY job_id`,
        )
      ).rows;
      expect(successes).toHaveLength(total);
      expect(successes.every((r) => r.n === 1)).toBe(true);
      // Every job ran; a job whose run was cut by the restart may have run again (at-least-once),
      // but never more than the jobs that were in flight at that moment.
      const runs = (await client.query(`SELECT job_id, count(*)::int AS n FROM test_executions GROUP BY job_id`)).rows;
      expect(runs).toHaveLength(total);
      const again = runs.filter((r) => r.n > 1).length;
      console.log(
        `postgres restart: ${total} jobs, ${again} ran more than once (in flight at the restart: at most ${WORKERS * CONCURRENCY})`,
      );
      expect(again).toBeLessThanOrEqual(WORKERS * CONCURRENCY);
      expect((await api(apiServer.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
      // The stream that was open through the restart delivered the jobs made after it, in order.
      await sse.until((m) => lateIds.every((id) => m.some((x) => x.data?.jobId === id && x.data?.data?.to === 'succeeded')), 30_000);
      const lastIds = sse.messages.filter((m) => m.id).map((m) => Number(m.id));
      expect(lastIds).toEqual([...lastIds].sort((a, b) => a - b));
      expect(new Set(lastIds).size).toBe(lastIds.length);
    } finally {
      sse.close();
      await client.end();
    }
  }, 300_000);
});
