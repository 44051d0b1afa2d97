import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, settledEventId, waitFor } from '../support/http';
import { scale } from '../support/long';
import { ServiceProcess } from '../support/processes';
import { connect, createTestDatabase } from '../support/test-database';
import { LightSseClient, Stack, connectionsTo, heapUsedMiB, inParallel, noopJob, openSseClients, quantile, rssMiB } from './load-support';

const CLIENTS = scale(1_000, 5_000);
/** Each job makes three status events: queued (on the server), running and succeeded (on the worker). */
const JOBS = scale(100, 300);

describe(`load: ${CLIENTS} SSE clients on one server process`, () => {
  let stack: Stack;
  let db: Client;
  let server: ServiceProcess;
  let clients: LightSseClient[] = [];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('load_sse');
    stack = new Stack(databaseUrl);
    server = await stack.start({ ROLE: 'api' });
    // Another process commits the running/succeeded events: they reach the server by NOTIFY.
    await stack.start({ ROLE: 'worker', WORKER_CONCURRENCY: '8', WORK_MS: '0' }, { recording: true });
    db = await connect(databaseUrl);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await db?.end();
    await stack?.stop();
  });

  it(
    'delivers every event to every client once and in order, while the server stays responsive, and frees the connections after',
    async () => {
      const port = Number(new URL(server.url).port);
      const rssBefore = rssMiB(server.pid)!;
      const heapBefore = await heapUsedMiB(server.url);
      let started = performance.now();
      clients = await openSseClients(`${server.url}/api/events/stream`, CLIENTS);
      const connectSeconds = (performance.now() - started) / 1000;
      const rssConnected = rssMiB(server.pid)!;
      const heapConnected = await heapUsedMiB(server.url);
      expect(clients.every((c) => c.status === 200 && c.snapshot)).toBe(true);
      expect(connectionsTo(port)).toBeGreaterThanOrEqual(CLIENTS);

      // Probe readiness all along.
      const probes: { status: number; ms: number }[] = [];
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const t0 = performance.now();
          const { status } = await api(server.url, 'GET', '/api/health/ready').catch(() => ({ status: 0 }));
          probes.push({ status, ms: performance.now() - t0 });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();

      started = performance.now();
      const refused: string[] = [];
      await inParallel(JOBS, 4, async (i) => {
        const created = await api(server.url, 'POST', '/api/jobs', noopJob(i));
        if (created.status !== 201) refused.push(`${created.status} ${JSON.stringify(created.body)}`);
      });
      expect(refused.slice(0, 3)).toEqual([]);
      await waitFor(
        async () => Number((await db.query(`SELECT count(*) AS n FROM jobs WHERE finished_at IS NULL`)).rows[0].n) === 0,
        scale(60_000, 600_000),
        'the jobs to finish',
      );
      const committedSeconds = (performance.now() - started) / 1000;
      // Events a finished job still raises (its notifications, written in batches) land shortly after: wait for the table to settle.
      await settledEventId(db, 500, scale(30_000, 300_000));

      // What every client should have: every event committed after its snapshot's position.
      const from = Math.min(...clients.map((c) => c.snapshot.lastEventId));
      const stored: number[] = (await db.query(`SELECT id::int FROM events WHERE id > $1 ORDER BY id`, [from])).rows.map((r) => r.id);
      expect(stored.length).toBeGreaterThanOrEqual(3 * JOBS);
      const expectedFor = (c: LightSseClient) => stored.filter((id) => id > c.snapshot.lastEventId);
      await waitFor(
        async () => clients.every((c) => c.ids.length >= expectedFor(c).length),
        scale(60_000, 600_000),
        'every client to have every event',
      ).catch(() => undefined);
      const deliveredSeconds = (Math.max(...clients.map((c) => c.lastArrival)) - started) / 1000;
      probing = false;
      await prober;
      const rssAfterEvents = rssMiB(server.pid)!;
      const heapAfterEvents = await heapUsedMiB(server.url);

      const wrong = clients.filter((c) => c.error || c.ended || JSON.stringify(c.ids) !== JSON.stringify(expectedFor(c)));
      expect(
        wrong.slice(0, 2).map((c) => ({ error: c.error, ended: c.ended, got: c.ids.length, expected: expectedFor(c).length })),
      ).toEqual([]);
      // Status changes of the jobs, and the notifications they raise (job started, job succeeded) as events.
      const names = new Set(clients.flatMap((c) => c.names));
      expect(names.has('status')).toBe(true);
      expect([...names].filter((n) => n !== 'status' && n !== 'event')).toEqual([]);

      expect(probes.length).toBeGreaterThan(0);
      expect(probes.filter((p) => p.status !== 200)).toEqual([]);

      // Disconnect everyone: the server lets go of every socket.
      for (const c of clients) c.close();
      // (fetch's keep-alive connections of the probes and POSTs may stay open a while)
      await waitFor(async () => connectionsTo(port) <= 16, 30_000, 'the server to close the streams');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const heapClosed = await heapUsedMiB(server.url);
      const verify = await api(server.url, 'GET', '/api/ledger/verify');
      expect(verify.body).toMatchObject({ ok: true, firstBadSeq: null });

      const latencies = probes.map((p) => p.ms);
      console.log(
        [
          `SSE: ${CLIENTS} clients on /api/events/stream of one server process`,
          `  connected in ${connectSeconds.toFixed(1)} s; server RSS ${rssBefore} → ${rssConnected} MiB (${(((rssConnected - rssBefore) * 1024) / CLIENTS).toFixed(1)} KiB per connection), ${rssAfterEvents} MiB after the events`,
          `  server heap used ${heapBefore} → ${heapConnected} MiB connected → ${heapAfterEvents} MiB after the events → ${heapClosed} MiB 2 s after every client left`,
          `  ${stored.length} events (${JOBS} jobs created here, run by a worker process) committed in ${committedSeconds.toFixed(1)} s; all ${(stored.length * CLIENTS).toLocaleString('en')} deliveries done ${deliveredSeconds.toFixed(1)} s after the first`,
          `  /api/health/ready during: ${probes.length} probes, all 200, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
          `  ledger: ${verify.body.checked} entries verified`,
        ].join('\n'),
      );
    },
    scale(180_000, 1_200_000),
  );
});
