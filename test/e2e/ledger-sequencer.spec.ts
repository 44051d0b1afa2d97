import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceProcess, launchService } from '../support/processes';
import { api, waitFor } from '../support/http';
import { connect, createTestDatabase } from '../support/test-database';

describe('the ledger sequencer across processes', () => {
  const processes: ServiceProcess[] = [];
  const root = mkdtempSync(join(tmpdir(), 'aict-sequencer-'));
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(2_000)));
    rmSync(root, { recursive: true, force: true });
  });

  it('has one leader; when it is killed another process takes over, and a process with another key never signs', async () => {
    const databaseUrl = await createTestDatabase();
    const key = randomBytes(32).toString('hex');
    const env = (name: string, signingKey: string) => ({
      DATABASE_URL: databaseUrl,
      ROLE: 'api',
      DATA_DIR: join(root, name),
      TRUTHPACK_SIGNING_KEY: signingKey,
      LEDGER_LEADER_RETRY_MS: '100',
    });
    const first = await launchService({ env: env('first', key) });
    processes.push(first);
    await first.ready();
    const job = async (server: ServiceProcess, i: number) =>
      expect((await api(server.url, 'POST', '/api/jobs', { goal: `fix the bug in src/f${i}.ts`, repo: '/srv/repo' })).status).toBe(201);
    await job(first, 0);
    const before = (await api(first.url, 'GET', '/api/ledger/tree-head')).body;
    expect(before.treeSize).toBe(3);

    const stranger = await launchService({ env: env('stranger', randomBytes(32).toString('hex')) });
    processes.push(stranger);
    await stranger.ready();
    const db = await connect(databaseUrl);
    try {
      const leaders = async () =>
        (await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 71000007 AND granted`)).rows[0].n;
      expect(await leaders()).toBe(1);
      first.child.kill('SIGKILL');
      await first.exited;

      // Alone, the process with another key takes the lock, finds heads it cannot sign for, and lets go.
      await job(stranger, 1);
      await waitFor(async () => stranger.output().includes('the ledger sequencer will not lead from this process'), 10_000, 'the refusal');
      const pending = async () => (await db.query('SELECT count(*)::int AS n FROM ledger WHERE leaf_index IS NULL')).rows[0].n;
      expect(await pending()).toBe(3);
      expect((await db.query('SELECT max(tree_size)::int AS n FROM ledger_tree_heads')).rows[0].n).toBe(3);
      // Meanwhile the latest signed head is still served, after a bounded wait.
      expect((await api(stranger.url, 'GET', '/api/ledger/tree-head')).body).toEqual(before);

      // A process with the shared key takes over and seals everything, whichever process appended it.
      const second = await launchService({ env: env('second', key) });
      processes.push(second);
      await second.ready();
      for (let i = 2; i <= 4; i++) await job(i % 2 ? second : stranger, i);
      const after = (await api(second.url, 'GET', '/api/ledger/tree-head')).body;
      expect(after.treeSize).toBe(15);
      expect(await pending()).toBe(0);
      expect(await leaders()).toBe(1);
      const verify = (await api(second.url, 'GET', '/api/ledger/verify')).body;
      expect(verify).toMatchObject({ ok: true, checked: 15, treeSize: 15, pending: 0 });
      const keys = (await db.query('SELECT DISTINCT key_id FROM ledger_tree_heads')).rows.map((r) => r.key_id);
      expect(keys).toEqual([before.keyId]);
    } finally {
      await db.end();
    }
  });
});
