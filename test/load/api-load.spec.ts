import autocannon from 'autocannon';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/http';
import { scale } from '../support/long';
import { ServiceProcess } from '../support/processes';
import { connect, createTestDatabase } from '../support/test-database';
import { Stack, heapUsedMiB, inParallel, noopJob, rssMiB } from './load-support';

const SECONDS = scale(10, 60);
const CONNECTIONS = 16;
const SEED_JOBS = 50;

describe(`load: the API under ${CONNECTIONS} connections for ${SECONDS} s`, () => {
  let stack: Stack;
  let db: Client;
  let server: ServiceProcess;
  const seeded: string[] = [];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('load_api');
    stack = new Stack(databaseUrl);
    server = await stack.start({ ROLE: 'api' });
    db = await connect(databaseUrl);
    await inParallel(SEED_JOBS, 8, async (i) => {
      const created = await api(server.url, 'POST', '/api/jobs', noopJob(i));
      expect(created.status).toBe(201);
      seeded.push(created.body.id);
    });
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  it(
    'answers a steady mix of reads and writes with no error, no timeout and no non-2xx, and keeps the ledger whole',
    async () => {
      let read = 0;
      let created = 0;
      const json = { 'content-type': 'application/json' };
      // Each connection goes round this list; reads outnumber writes, as on a dashboard.
      const requests: autocannon.Request[] = [
        { method: 'GET', path: '/api/jobs?limit=20' },
        { method: 'GET', path: '/api/jobs', setupRequest: (r) => ({ ...r, path: `/api/jobs/${seeded[read++ % seeded.length]}` }) },
        { method: 'GET', path: '/api/events?limit=50' },
        { method: 'GET', path: '/api/health/ready' },
        {
          method: 'POST',
          path: '/api/jobs',
          headers: json,
          setupRequest: (r) => ({ ...r, body: JSON.stringify(noopJob(SEED_JOBS + created++)) }),
        },
        { method: 'GET', path: '/api/jobs', setupRequest: (r) => ({ ...r, path: `/api/jobs/${seeded[read++ % seeded.length]}` }) },
        { method: 'GET', path: '/api/metrics' },
        { method: 'GET', path: '/api/ledger?limit=20' },
        {
          method: 'POST',
          path: '/api/tdln/parse',
          headers: json,
          body: JSON.stringify({ text: 'fix the failing login test in src/auth.ts' }),
        },
        { method: 'GET', path: '/api/notifications?limit=20' },
      ];
      const rssBefore = rssMiB(server.pid);
      const heapBefore = await heapUsedMiB(server.url);
      const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: SECONDS, requests, timeout: 10 });
      const rssAfter = rssMiB(server.pid);
      const heapAfter = await heapUsedMiB(server.url);

      const codes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
      console.log(
        [
          `API load: ${CONNECTIONS} connections, ${SECONDS} s, a mix of ${requests.length} requests (8 reads, 2 writes) on one server process`,
          `  ${result.requests.total} requests, ${result.requests.average} req/s; latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
          `  status codes ${JSON.stringify(codes)}; errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}`,
          `  server RSS ${rssBefore} → ${rssAfter} MiB, heap used ${heapBefore} → ${heapAfter} MiB`,
        ].join('\n'),
      );
      expect(result.requests.total).toBeGreaterThan(0);
      expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        resets: 0,
      });

      // Every job created under load has its creation in the ledger and the event log, once.
      const [counts] = (
        await db.query(
          `SELECT (SELECT count(*)::int FROM jobs) AS jobs,
              (SELECT count(*)::int FROM ledger WHERE kind = 'job.status' AND data->>'to' = 'queued') AS ledger,
              (SELECT count(*)::int FROM events WHERE type = 'status' AND data->>'to' = 'queued') AS events`,
        )
      ).rows;
      expect(counts.jobs).toBeGreaterThan(SEED_JOBS);
      expect(counts).toEqual({ jobs: counts.jobs, ledger: counts.jobs, events: counts.jobs });
      const verify = await api(server.url, 'GET', '/api/ledger/verify');
      expect(verify.body).toMatchObject({ ok: true, firstBadSeq: null });
      expect(server.output()).not.toMatch(/"level":(50|60)/);
    },
    (SECONDS + 120) * 1000,
  );
});
