import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor } from '../support/http';
import { scale } from '../support/long';
import { ServiceProcess } from '../support/processes';
import { connect, createTestDatabase } from '../support/test-database';
import { Stack, inParallel, noopJob, statusEntriesPerJob } from './load-support';

const JOBS = scale(1_000, 10_000);
const WORKERS = 3;
const CONCURRENCY = 8;
const ENQUEUERS = 16;
/**
 * Longer than the 2 s of the fault tests, so that a CI machine starved of CPU does not expire
 * leases of healthy workers; a run that a worker drops still shows up (as a second execution)
 * once its lease runs out.
 */
const LEASE_MS = '5000';

describe(`load: ${JOBS} queued jobs drained by ${WORKERS} worker processes`, () => {
  let stack: Stack;
  let db: Client;
  let server: ServiceProcess;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('load_drain');
    stack = new Stack(databaseUrl);
    server = await stack.start({ ROLE: 'api' });
    db = await connect(databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  it(
    'runs every job exactly once, on its first attempt, spread over every worker, with one ledger transition to succeeded per job',
    async () => {
      const ids: string[] = [];
      const refused: string[] = [];
      let started = performance.now();
      await inParallel(JOBS, ENQUEUERS, async (i) => {
        const created = await api(server.url, 'POST', '/api/jobs', noopJob(i));
        if (created.status === 201) ids[i] = created.body.id;
        else refused.push(`${created.status} ${JSON.stringify(created.body)}`);
      });
      const enqueueSeconds = (performance.now() - started) / 1000;
      expect(refused.slice(0, 3)).toEqual([]);
      expect(new Set(ids).size).toBe(JOBS);

      // Hold the backlog while the workers boot, so that none gets a head start and the drain is
      // measured with all of them running (run_after is not part of the ledger or the events).
      await db.query(`UPDATE jobs SET run_after = now() + interval '1 hour' WHERE id = ANY($1::uuid[])`, [ids]);
      const workers = await Promise.all(
        Array.from({ length: WORKERS }, () =>
          stack.start(
            { ROLE: 'worker', WORKER_CONCURRENCY: String(CONCURRENCY), WORKER_LEASE_MS: LEASE_MS, WORK_MS: '5' },
            { recording: true },
          ),
        ),
      );
      started = performance.now();
      await db.query(`UPDATE jobs SET run_after = now() WHERE id = ANY($1::uuid[])`, [ids]);
      await db.query(`SELECT pg_notify('aict_jobs', 'mechanic')`);

      // The database holds only this test's jobs.
      const unfinished = async () => Number((await db.query(`SELECT count(*) AS n FROM jobs WHERE finished_at IS NULL`)).rows[0].n);
      await waitFor(async () => (await unfinished()) === 0, scale(90_000, 600_000), 'the backlog to drain');
      const drainSeconds = (performance.now() - started) / 1000;

      // `attempts` counts lost leases (0 = ran on its first attempt; the claim's ledger entry says attempt 1).
      const statuses = (
        await db.query(`SELECT status, attempts, count(*)::int AS n FROM jobs WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`, [ids])
      ).rows;
      expect(statuses).toEqual([{ status: 'succeeded', attempts: 0, n: JOBS }]);

      // Exactly one execution per job: none twice, none lost.
      const executions = (
        await db.query(
          `SELECT runs, count(*)::int AS jobs FROM (
         SELECT j.id, count(e.job_id)::int AS runs FROM unnest($1::uuid[]) AS j(id) LEFT JOIN test_executions e ON e.job_id = j.id GROUP BY j.id) x
        GROUP BY runs`,
          [ids],
        )
      ).rows;
      expect(executions).toEqual([{ runs: 1, jobs: JOBS }]);

      // Every worker took a share of the backlog.
      const perWorker = (
        await db.query(
          `SELECT worker_id, count(*)::int AS n FROM test_executions WHERE job_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 2 DESC`,
          [ids],
        )
      ).rows;
      expect(perWorker).toHaveLength(WORKERS);
      for (const w of perWorker) expect(w.n).toBeGreaterThanOrEqual(JOBS / (WORKERS * 10));

      // The audit trail: an intact chain, one claim (on attempt 1) and one success per job.
      const verify = await api(server.url, 'GET', '/api/ledger/verify');
      expect(verify.body).toMatchObject({ ok: true, firstBadSeq: null });
      expect(verify.body.checked).toBeGreaterThanOrEqual(3 * JOBS);
      const transitions = await statusEntriesPerJob(db, ids);
      expect(Object.fromEntries([...transitions].map(([to, counts]) => [to, Object.fromEntries(counts)]))).toEqual({
        queued: { 1: JOBS },
        running: { 1: JOBS },
        succeeded: { 1: JOBS },
      });
      const claimsOnLaterAttempts = (
        await db.query(
          `SELECT count(*)::int AS n FROM ledger WHERE kind = 'job.status' AND data->>'to' = 'running' AND (data->>'attempt')::int <> 1`,
        )
      ).rows[0].n;
      expect(claimsOnLaterAttempts).toBe(0);
      const succeededEvents = (
        await db.query(
          `SELECT count(*)::int AS n FROM events WHERE type = 'status' AND data->>'to' = 'succeeded' AND job_id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows[0].n;
      expect(succeededEvents).toBe(JOBS);

      const [span] = (
        await db.query(
          `SELECT extract(epoch FROM max(finished_at) - min(started_at))::float AS busy, extract(epoch FROM max(finished_at) - min(created_at))::float AS total
         FROM jobs WHERE id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows;
      console.log(
        [
          `queue drain: ${JOBS} jobs, ${WORKERS} worker processes x concurrency ${CONCURRENCY}, 5 ms handler`,
          `  enqueue: ${(JOBS / enqueueSeconds).toFixed(0)} jobs/s (${ENQUEUERS} parallel POST /api/jobs, ${enqueueSeconds.toFixed(1)} s)`,
          `  drain:   ${(JOBS / span.busy).toFixed(0)} jobs/s (first claim → last finish ${span.busy.toFixed(2)} s; release → all finished seen ${drainSeconds.toFixed(2)} s)`,
          `  per worker: ${perWorker.map((w) => w.n).join(' / ')}`,
          `  ledger: ${verify.body.checked} entries verified`,
        ].join('\n'),
      );
      // Nothing went wrong quietly: no error lines in any process's log.
      for (const p of [server, ...workers]) expect(p.output()).not.toMatch(/"level":(50|60)/);
    },
    scale(240_000, 1_200_000),
  );
});
