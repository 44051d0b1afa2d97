import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { LedgerService, SignedTreeHead, ledgerLeafHash, verifyConsistency, verifyInclusion, verifyTreeHeadSignature } from '@app/ledger';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';
import { connect } from '../support/test-database';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('ledger', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    db = await connect(t.config.database.url!);
    for (let i = 0; i < 3; i++) {
      const res = await api(t.url, 'POST', '/api/jobs', { goal: `fix the bug in src/job-${i}.ts`, repo: '/srv/repo' });
      await api(t.url, 'POST', `/api/jobs/${res.body.id}/cancel`);
    }
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  /** Runs `edit` with the append-only triggers of the ledger's tables off, as a superuser could. */
  async function behindTheTriggers(edit: () => Promise<unknown>): Promise<void> {
    const tables = ['ledger', 'ledger_tree_nodes', 'ledger_tree_heads'];
    await db.query('BEGIN');
    for (const table of tables) await db.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await edit();
    for (const table of tables) await db.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    await db.query('COMMIT');
  }

  it('seals every entry into the log as a leaf under a signed tree head, and verifies', async () => {
    const items = (await api(t.url, 'GET', '/api/ledger?limit=1000')).body.items;
    // Per job: its creation (job.status), the parsed intent, the intake policy decision, and the cancel.
    expect(items.map((e: any) => e.kind)).toEqual(Array(3).fill(['job.status', 'intent.parsed', 'policy.decision', 'job.status']).flat());
    const head = (await api(t.url, 'GET', '/api/ledger/tree-head')).body as SignedTreeHead;
    expect(head).toMatchObject({ treeSize: 12, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: expect.any(String) });
    const key = (await api(t.url, 'GET', '/api/ledger/key')).body;
    expect(verifyTreeHeadSignature(head, key.publicKey)).toBe(true);
    expect(verifyTreeHeadSignature({ ...head, treeSize: 11 }, key.publicKey)).toBe(false);
    const listed = (await api(t.url, 'GET', '/api/ledger?limit=1000')).body.items;
    expect(listed.map((e: any) => e.leafIndex).sort((a: number, b: number) => a - b)).toEqual([...Array(12).keys()]);
    expect(listed.every((e: any) => e.prevHash === null && e.hash === null)).toBe(true);
    const verify = await api(t.url, 'GET', '/api/ledger/verify');
    expect(verify.body).toEqual({
      ok: true,
      checked: 12,
      headSeq: expect.any(Number),
      headHash: head.rootHash,
      treeSize: 12,
      treeHeadsChecked: expect.any(Number),
      pending: 0,
      firstBadSeq: null,
      reason: null,
    });
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

  it('refuses UPDATE, DELETE and TRUNCATE of entries, tree nodes and tree heads, and a leaf given twice or with an edit', async () => {
    for (const [table, where] of [
      ['ledger', 'seq = 1'],
      ['ledger_tree_nodes', 'level = 0 AND idx = 0'],
      ['ledger_tree_heads', 'tree_size = (SELECT min(tree_size) FROM ledger_tree_heads)'],
    ]) {
      const column = table === 'ledger' ? 'summary' : table === 'ledger_tree_nodes' ? 'hash' : 'root_hash';
      const value = table === 'ledger_tree_nodes' ? `'\\x00'::bytea` : `'forged'`;
      await expect(db.query(`UPDATE ${table} SET ${column} = ${value} WHERE ${where}`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM ${table} WHERE ${where}`)).rejects.toThrow(/append-only/);
      await expect(db.query(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
    }
    await expect(db.query(`UPDATE ledger SET leaf_index = 1000 WHERE seq = 1`)).rejects.toThrow(/append-only/);
    // The sequencer's one assignment may not carry an edit with it.
    await db.query('BEGIN');
    try {
      const { rows } = await db.query(
        `INSERT INTO ledger (ts, kind, actor, summary, data) VALUES (now(), 'test.x', 'system', 'x', '{}') RETURNING seq`,
      );
      await expect(db.query(`UPDATE ledger SET leaf_index = 1000, summary = 'y' WHERE seq = $1`, [rows[0].seq])).rejects.toThrow(
        /append-only/,
      );
    } finally {
      await db.query('ROLLBACK');
    }
    expect((await db.query('SELECT count(*)::int AS n FROM ledger')).rows[0].n).toBe(12);
  });

  it('gives concurrent appends distinct, gap-free leaves, and a leaf to an entry whose transaction commits last', async () => {
    const ledger = t.get<LedgerService>(LedgerService);
    const dataSource = t.get<DataSource>(DataSource);
    // A transaction that takes its id first and commits after everyone else.
    const late = dataSource.createQueryRunner();
    await late.connect();
    await late.startTransaction();
    const [lateEntry] = await ledger.append(late.manager, [{ kind: 'test.late', actor: 'system', summary: 'late' }]);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        dataSource.transaction((m) =>
          ledger.append(m, [{ kind: 'test.concurrent', actor: 'system', summary: `append ${i}`, data: { i } }]),
        ),
      ),
    );
    await ledger.waitForSequenced(52);
    await late.commitTransaction();
    await late.release();
    await ledger.waitForCommitted();
    const [row] = (await db.query('SELECT leaf_index FROM ledger WHERE seq = $1', [lateEntry.seq])).rows;
    expect(Number(row.leaf_index)).toBe(52);
    const { rows } = await db.query('SELECT leaf_index::int AS i FROM ledger ORDER BY leaf_index');
    expect(rows.map((r) => r.i)).toEqual([...Array(53).keys()]);
    const verify = await api(t.url, 'GET', '/api/ledger/verify');
    expect(verify.body).toMatchObject({ ok: true, checked: 53, treeSize: 53, pending: 0 });
  });

  it('serves inclusion and consistency proofs that check against the signed tree heads', async () => {
    const key = (await api(t.url, 'GET', '/api/ledger/key')).body.publicKey;
    const older = (await api(t.url, 'GET', '/api/ledger/tree-head')).body as SignedTreeHead;
    const ledger = t.get<LedgerService>(LedgerService);
    await t.get<DataSource>(DataSource).transaction((m) => ledger.append(m, [{ kind: 'test.more', actor: 'system', summary: 'one more' }]));
    const newer = await waitFor(async () => {
      const head = (await api(t.url, 'GET', '/api/ledger/tree-head')).body;
      return head.treeSize > older.treeSize ? (head as SignedTreeHead) : null;
    });

    const proof = (await api(t.url, 'GET', `/api/ledger/proof/inclusion?entry=3&size=${older.treeSize}`)).body;
    expect(proof.treeHead).toEqual(older);
    expect(verifyTreeHeadSignature(proof.treeHead, key)).toBe(true);
    const leaf = ledgerLeafHash({ ...proof.entry });
    expect(leaf.toString('hex')).toBe(proof.leafHash);
    expect(verifyInclusion(proof.leafIndex, older.treeSize, leaf, proof.auditPath.map(hex), hex(older.rootHash))).toBe(true);
    const edited = ledgerLeafHash({ ...proof.entry, summary: 'something else' });
    expect(verifyInclusion(proof.leafIndex, older.treeSize, edited, proof.auditPath.map(hex), hex(older.rootHash))).toBe(false);

    const consistency = (await api(t.url, 'GET', `/api/ledger/proof/consistency?from=${older.treeSize}&to=${newer.treeSize}`)).body;
    expect(consistency.from).toEqual(older);
    expect(consistency.to).toEqual(newer);
    expect(verifyConsistency(older.treeSize, newer.treeSize, hex(older.rootHash), hex(newer.rootHash), consistency.proof.map(hex))).toBe(
      true,
    );

    expect((await api(t.url, 'GET', '/api/ledger/proof/inclusion?entry=999999')).body.error.code).toBe('ledger_entry_not_found');
    expect((await api(t.url, 'GET', '/api/ledger/proof/consistency?from=3&to=2')).status).toBe(400);
    expect((await api(t.url, 'GET', `/api/ledger/proof/consistency?from=1&to=${newer.treeSize + 1000}`)).body.error.code).toBe(
      'ledger_tree_head_not_found',
    );
  });

  it('finds an entry edited with the triggers disabled, and one rewritten together with its leaf hash', async () => {
    const [{ summary }] = (await db.query('SELECT summary FROM ledger WHERE seq = 2')).rows;
    await behindTheTriggers(() => db.query(`UPDATE ledger SET summary = 'rewritten' WHERE seq = 2`));
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: 'the entry does not match its leaf hash: it was changed after it was sequenced',
    });

    // The forger recomputes the leaf hash too: the signed root gives it away.
    const [row] = (await db.query('SELECT * FROM ledger WHERE seq = 2')).rows;
    const forgedLeaf = ledgerLeafHash({
      seq: 2,
      ts: row.ts.toISOString(),
      kind: row.kind,
      actor: row.actor,
      jobId: row.job_id,
      conversationId: row.conversation_id,
      traceId: row.trace_id,
      summary: row.summary,
      data: row.data,
      prevHash: null,
      hash: null,
    });
    const [{ hash: realLeaf }] = (await db.query('SELECT hash FROM ledger_tree_nodes WHERE level = 0 AND idx = $1', [row.leaf_index])).rows;
    await behindTheTriggers(() =>
      db.query('UPDATE ledger_tree_nodes SET hash = $1 WHERE level = 0 AND idx = $2', [forgedLeaf, row.leaf_index]),
    );
    const verify = (await api(t.url, 'GET', '/api/ledger/verify')).body;
    expect(verify).toMatchObject({ ok: false, reason: expect.stringMatching(/^tree head \d+ does not match the entries/) });
    expect(verify.firstBadSeq).toBeLessThanOrEqual(2);

    await behindTheTriggers(async () => {
      await db.query('UPDATE ledger SET summary = $1 WHERE seq = 2', [summary]);
      await db.query('UPDATE ledger_tree_nodes SET hash = $1 WHERE level = 0 AND idx = $2', [realLeaf, row.leaf_index]);
    });
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
  });

  it('finds a forged tree head: a root it does not sign, or one signed by another key', async () => {
    const head = (await api(t.url, 'GET', '/api/ledger/tree-head')).body as SignedTreeHead;
    const forgedRoot = 'ab'.repeat(32);
    await behindTheTriggers(() =>
      db.query('UPDATE ledger_tree_heads SET root_hash = $1 WHERE tree_size = $2', [forgedRoot, head.treeSize]),
    );
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({
      ok: false,
      reason: `tree head ${head.treeSize} does not carry a valid signature of the server's key`,
    });
    await behindTheTriggers(() =>
      db.query('UPDATE ledger_tree_heads SET root_hash = $1, key_id = $2 WHERE tree_size = $3', [
        head.rootHash,
        'feedfeedfeedfeed',
        head.treeSize,
      ]),
    );
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`tree head ${head.treeSize} is signed by key feedfeedfeedfeed, not the server's key`),
    });
    await behindTheTriggers(() => db.query('UPDATE ledger_tree_heads SET key_id = $1 WHERE tree_size = $2', [head.keyId, head.treeSize]));
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
  });

  it('finds a leaf forged behind the sequencer, which no signed tree head covers', async () => {
    const head = (await api(t.url, 'GET', '/api/ledger/tree-head')).body as SignedTreeHead;
    const { rows } = await db.query(
      `INSERT INTO ledger (ts, kind, actor, summary, data, leaf_index) VALUES (date_trunc('milliseconds', now()), 'job.status', 'user', 'approve everything', '{}', $1)
       RETURNING *`,
      [head.treeSize],
    );
    const forged = rows[0];
    await db.query(`INSERT INTO ledger_tree_nodes (level, idx, hash) VALUES (0, $1, $2)`, [
      head.treeSize,
      ledgerLeafHash({
        seq: Number(forged.seq),
        ts: forged.ts.toISOString(),
        kind: forged.kind,
        actor: forged.actor,
        jobId: null,
        conversationId: null,
        traceId: null,
        summary: forged.summary,
        data: {},
        prevHash: null,
        hash: null,
      }),
    ]);
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({
      ok: false,
      firstBadSeq: Number(forged.seq),
      reason: `leaves ${head.treeSize}..${head.treeSize} are covered by no signed tree head: tree heads were removed or leaves forged`,
    });
    await behindTheTriggers(async () => {
      await db.query('DELETE FROM ledger WHERE seq = $1', [forged.seq]);
      await db.query('DELETE FROM ledger_tree_nodes WHERE level = 0 AND idx = $1', [head.treeSize]);
    });
  });

  it('finds a log rolled back behind a tree head a monitor kept, though the rolled-back log is consistent in itself', async () => {
    const ledger = t.get<LedgerService>(LedgerService);
    const dataSource = t.get<DataSource>(DataSource);
    const kept = (await api(t.url, 'GET', '/api/ledger/tree-head')).body as SignedTreeHead;
    expect((await api(t.url, 'GET', `/api/ledger/verify?treeSize=${kept.treeSize}&rootHash=${kept.rootHash}`)).body.ok).toBe(true);
    await dataSource.transaction((m) => ledger.append(m, [{ kind: 'test.rollback', actor: 'system', summary: 'to be erased' }]));
    await ledger.waitForCommitted();
    // Stop every sequencer, as an attacker would, then cut the log back to before the kept head.
    await t.app.close();
    const [{ cut }] = (await db.query('SELECT max(tree_size)::int AS cut FROM ledger_tree_heads WHERE tree_size < $1', [kept.treeSize]))
      .rows;
    await behindTheTriggers(async () => {
      await db.query('DELETE FROM ledger WHERE leaf_index >= $1', [cut]);
      await db.query('DELETE FROM ledger_tree_nodes WHERE (idx + 1) * (1::bigint << level) > $1', [cut]);
      await db.query('DELETE FROM ledger_tree_heads WHERE tree_size > $1', [cut]);
    });
    t = await startTestApp({ env: { ROLE: 'api' }, databaseUrl: t.config.database.url! });
    const inItself = (await api(t.url, 'GET', '/api/ledger/verify')).body;
    expect(inItself).toMatchObject({ ok: true });
    expect((await api(t.url, 'GET', `/api/ledger/verify?treeSize=${kept.treeSize}&rootHash=${kept.rootHash}`)).body).toMatchObject({
      ok: false,
      reason: `the log holds ${inItself.treeSize} leaves, fewer than the trusted tree head's ${kept.treeSize}: it was rolled back`,
    });
    // Growing back past the kept size with other entries is a rewritten history.
    const again = t.get<LedgerService>(LedgerService);
    for (let i = 0; i < 3; i++) {
      await t
        .get<DataSource>(DataSource)
        .transaction((m) => again.append(m, [{ kind: 'test.rewrite', actor: 'system', summary: `other ${i}` }]));
    }
    await again.waitForSequenced(kept.treeSize + 1);
    expect((await api(t.url, 'GET', `/api/ledger/verify?treeSize=${kept.treeSize}&rootHash=${kept.rootHash}`)).body).toMatchObject({
      ok: false,
      reason: `the log's tree of ${kept.treeSize} leaves does not have the trusted root: history was rewritten`,
    });
  });
});
