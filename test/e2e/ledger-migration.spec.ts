import { afterAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@app/common';
import { GENESIS_HASH, SignedTreeHead, hashLedgerEntry, ledgerLeafHash, verifyInclusion } from '@app/ledger';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';
import { connect, createTestDatabase } from '../support/test-database';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('ledger migration to the Merkle log', () => {
  let t: TestApp | undefined;
  afterAll(async () => t?.close());

  it('moves entries chained before the log into it first, in order, and still checks their chain', async () => {
    const url = await createTestDatabase();
    // The schema as it was before the log, holding a chain written the old way.
    const before = new DataSource({
      type: 'postgres',
      url,
      migrations: MIGRATIONS.filter((m) => m.name !== 'LedgerMerkleLog1764000000018'),
      migrationsTableName: 'schema_migrations',
    });
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= 5; seq++) {
      const content = {
        seq,
        ts: new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
        kind: 'job.status',
        actor: 'system' as const,
        jobId: null,
        conversationId: null,
        traceId: null,
        summary: `old entry ${seq}`,
        data: { seq },
        prevHash,
      };
      const hash = hashLedgerEntry(content);
      await before.query(
        `INSERT INTO ledger (seq, ts, kind, actor, summary, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [seq, content.ts, content.kind, content.actor, content.summary, JSON.stringify(content.data), prevHash, hash],
      );
      prevHash = hash;
    }
    await before.destroy();

    t = await startTestApp({ env: { ROLE: 'api' }, databaseUrl: url });
    const job = await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/a.ts', repo: '/srv/repo' });
    expect(job.status).toBe(201);
    const verify = (await api(t.url, 'GET', '/api/ledger/verify')).body;
    expect(verify).toMatchObject({ ok: true, checked: 8, treeSize: 8, pending: 0 });
    const items = (await api(t.url, 'GET', '/api/ledger?limit=100')).body.items;
    // The old entries keep their chain and take the first leaves, in seq order; new ones follow with fresh ids.
    expect(items.slice(0, 5).map((e: any) => [e.seq, e.leafIndex, e.prevHash !== null])).toEqual([
      [1, 0, true],
      [2, 1, true],
      [3, 2, true],
      [4, 3, true],
      [5, 4, true],
    ]);
    expect(items.slice(5).map((e: any) => [e.seq, e.prevHash, e.hash])).toEqual([
      [6, null, null],
      [7, null, null],
      [8, null, null],
    ]);
    // An old entry is provably in the signed log; its leaf commits to its chain hashes.
    const proof = (await api(t.url, 'GET', '/api/ledger/proof/inclusion?entry=2')).body;
    const head = proof.treeHead as SignedTreeHead;
    expect(verifyInclusion(1, head.treeSize, ledgerLeafHash(proof.entry), proof.auditPath.map(hex), hex(head.rootHash))).toBe(true);
    expect(
      verifyInclusion(
        1,
        head.treeSize,
        ledgerLeafHash({ ...proof.entry, prevHash: null, hash: null }),
        proof.auditPath.map(hex),
        hex(head.rootHash),
      ),
    ).toBe(false);

    // An edit of an old entry breaks its chain hash, which verify still checks.
    const db = await connect(url);
    try {
      await db.query('BEGIN');
      await db.query('ALTER TABLE ledger DISABLE TRIGGER USER');
      await db.query(`UPDATE ledger SET summary = 'rewritten' WHERE seq = 3`);
      await db.query('ALTER TABLE ledger ENABLE TRIGGER USER');
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({
      ok: false,
      firstBadSeq: 3,
      reason: 'hash does not match the entry content',
    });
  });
});
