import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsService } from '@app/events';
import { TestApp, startTestApp } from '../support/test-app';
import { connect, createTestDatabase } from '../support/test-database';
import { SseClient, SseMessage } from '../support/sse-client';
import { api, waitFor } from '../support/http';
import { launchService } from '../support/processes';

describe('fault: the LISTEN connection is dropped', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

  it('keeps SSE streams delivering every event, catching up from the events table', async () => {
    const sse = new SseClient(`${t.url}/api/events/stream`);
    await sse.until((m) => m.some((x) => x.event === 'snapshot'));
    const events = t.get<EventsService>(EventsService);
    await events.recordNow([{ type: 'fault_probe', summary: 'before' }]);
    await sse.until((m) => m.some((x) => x.data?.summary === 'before'));

    // Kill the process's LISTEN session behind its back, and write while it is gone.
    const admin = await connect(t.config.database.url!);
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`,
      );
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 5; i++) await events.recordNow([{ type: 'fault_probe', summary: `while-down-${i}` }]);
    await sse.until((m) => m.filter((x) => String(x.data?.summary).startsWith('while-down')).length === 5, 15_000);
    // And it still gets what comes after the reconnect.
    await waitFor(
      async () => {
        const [row] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`,
        );
        return row.n > 0;
      },
      15_000,
      'the LISTEN connection to come back',
    );
    await events.recordNow([{ type: 'fault_probe', summary: 'after' }]);
    await sse.until((m) => m.some((x) => x.data?.summary === 'after'));
    const ids = sse.messages.filter((m) => m.id).map((m) => Number(m.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    sse.close();
  });
});

describe('fault: the LISTEN connection of a server process is dropped', () => {
  it('keeps the stream of a separate API process delivering the jobs a worker process runs meanwhile', async () => {
    const databaseUrl = await createTestDatabase();
    const apiServer = await launchService({ env: { DATABASE_URL: databaseUrl, ROLE: 'api' } });
    const worker = await launchService({ env: { DATABASE_URL: databaseUrl, ROLE: 'worker' }, recording: true });
    const admin = await connect(databaseUrl);
    try {
      await Promise.all([apiServer.ready(), worker.ready()]);
      const sse = new SseClient(`${apiServer.url}/api/events/stream`);
      await sse.until((m) => m.some((x) => x.event === 'snapshot'));
      const create = async (i: number) =>
        (
          await api(apiServer.url, 'POST', '/api/jobs', {
            goal: `fix the bug in src/listen${i}.ts`,
            repo: '/srv/noop',
            mode: 'mechanic',
          })
        ).body.id as string;
      const succeededIn = (ids: string[]) => (m: SseMessage[]) =>
        ids.every((id) => m.some((x) => x.data?.jobId === id && x.data?.data?.to === 'succeeded'));
      const before = [await create(0)];
      await sse.until(succeededIn(before), 15_000);

      // Cut every LISTEN session of both processes: the API's (SSE) and the worker's (wake-ups).
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`,
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(2);
      const during = await Promise.all([1, 2, 3, 4, 5].map(create));
      await sse.until(succeededIn(during), 20_000);
      await waitFor(
        async () =>
          (
            await admin.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`,
            )
          ).rows[0].n >= 2,
        15_000,
        'both LISTEN sessions back',
      );
      const after = [await create(6)];
      await sse.until(succeededIn(after), 15_000);
      const ids = sse.messages.filter((m) => m.id).map((m) => Number(m.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      sse.close();
    } finally {
      await admin.end();
      await Promise.all([apiServer.stop(5_000), worker.stop(5_000)]);
    }
  }, 90_000);
});
