import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsService } from '@app/events';
import { TestApp, startTestApp } from '../support/test-app';
import { connect } from '../support/test-database';
import { SseClient } from '../support/sse-client';
import { waitFor } from '../support/http';

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
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`);
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 5; i++) await events.recordNow([{ type: 'fault_probe', summary: `while-down-${i}` }]);
    await sse.until((m) => m.filter((x) => String(x.data?.summary).startsWith('while-down')).length === 5, 15_000);
    // And it still gets what comes after the reconnect.
    await waitFor(async () => {
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()`);
      return row.n > 0;
    }, 15_000, 'the LISTEN connection to come back');
    await events.recordNow([{ type: 'fault_probe', summary: 'after' }]);
    await sse.until((m) => m.some((x) => x.data?.summary === 'after'));
    const ids = sse.messages.filter((m) => m.id).map((m) => Number(m.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    sse.close();
  });
});
