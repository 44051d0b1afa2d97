import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { LedgerService, hashLedgerEntry } from '@app/ledger';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';
import { connect } from '../support/test-database';

describe('ledger', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    for (let i = 0; i < 3; i++) {
      const res = await api(t.url, 'POST', '/api/jobs', { goal: `fix the bug in src/job-${i}.ts`, repo: '/srv/repo' });
      await api(t.url, 'POST', `/api/jobs/${res.body.id}/cancel`);
    }
  });
  afterAll(async () => t?.close());

  it('chains every entry to the one before it and verifies', async () => {
    const page = await api(t.url, 'GET', '/api/ledger?limit=1000');
    const items = page.body.items;
    // Per job: its creation (job.status), the parsed intent, the intake policy decision, and the cancel.
    expect(items.map((e: any) => e.kind)).toEqual(Array(3).fill(['job.status', 'intent.parsed', 'policy.decision', 'job.status']).flat());
    expect(items[0].prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < items.length; i++) {
      expect(items[i].seq).toBe(items[i - 1].seq + 1);
      expect(items[i].prevHash).toBe(items[i - 1].hash);
    }
    const { hash, ...content } = items[3];
    expect(hashLedgerEntry(content)).toBe(hash);
    const verify = await api(t.url, 'GET', '/api/ledger/verify');
    expect(verify.body).toEqual({ ok: true, checked: 12, headSeq: 12, headHash: items[11].hash, firstBadSeq: null, reason: null });
  });

  it('pages with a cursor and filters by job and kind', async () => {
    const first = await api(t.url, 'GET', '/api/ledger?limit=8');
    expect(first.body.items).toHaveLength(8);
    const second = await api(t.url, 'GET', `/api/ledger?limit=8&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: any) => e.seq)).toEqual([9, 10, 11, 12]);
    expect(second.body.nextCursor).toBeNull();
    const jobId = first.body.items[0].jobId;
    const ofJob = await api(t.url, 'GET', `/api/ledger?jobId=${jobId}&kind=job.status`);
    expect(ofJob.body.items.map((e: any) => e.data.to)).toEqual(['queued', 'aborted']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE at the database, whatever the client', async () => {
    const client = await connect(t.config.database.url!);
    try {
      await expect(client.query(`UPDATE ledger SET summary = 'forged' WHERE seq = 1`)).rejects.toThrow(/append-only/);
      await expect(client.query(`DELETE FROM ledger WHERE seq = 1`)).rejects.toThrow(/append-only/);
      await expect(client.query(`TRUNCATE ledger`)).rejects.toThrow(/append-only/);
      const { rows } = await client.query('SELECT count(*)::int AS n FROM ledger');
      expect(rows[0].n).toBe(12);
    } finally {
      await client.end();
    }
  });

  it('serialises concurrent appends into one chain without forks or gaps', async () => {
    const ledger = t.get<LedgerService>(LedgerService);
    const dataSource = t.get<DataSource>(DataSource);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        dataSource.transaction((m) =>
          ledger.append(m, [{ kind: 'test.concurrent', actor: 'system', summary: `append ${i}`, data: { i } }]),
        ),
      ),
    );
    const verify = await api(t.url, 'GET', '/api/ledger/verify');
    expect(verify.body).toMatchObject({ ok: true, checked: 52 });
  });

  it('finds a row forged behind the application’s back, and an edit made with the triggers disabled', async () => {
    const client = await connect(t.config.database.url!);
    try {
      const { rows } = await client.query(
        'SELECT max(seq)::int AS head, (SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1) AS hash FROM ledger',
      );
      const forgedSeq = rows[0].head + 1;
      await client.query(
        `INSERT INTO ledger (seq, ts, kind, actor, summary, data, prev_hash, hash)
         VALUES ($1, now(), 'job.status', 'user', 'approve everything', '{}', $2, $3)`,
        [forgedSeq, rows[0].hash, 'f'.repeat(64)],
      );
      const verify = await api(t.url, 'GET', '/api/ledger/verify');
      expect(verify.body).toMatchObject({ ok: false, firstBadSeq: forgedSeq, reason: 'hash does not match the entry content' });

      // A superuser can disable triggers; the chain still gives the edit away.
      await client.query('BEGIN');
      await client.query('ALTER TABLE ledger DISABLE TRIGGER USER');
      await client.query(`UPDATE ledger SET summary = 'rewritten' WHERE seq = 2`);
      await client.query('ALTER TABLE ledger ENABLE TRIGGER USER');
      await client.query('COMMIT');
      const again = await api(t.url, 'GET', '/api/ledger/verify');
      expect(again.body).toMatchObject({ ok: false, firstBadSeq: 2 });
    } finally {
      await client.end();
    }
  });
});
