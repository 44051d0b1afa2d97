import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { TruthPackService } from '@app/provenance';
import { signTreeHead, verifyTreeHeadSignature } from '@app/ledger';
import { TdlnEngine, loadTdlnBinding } from '@app/tdln';
import { JobHandlerRegistry } from '@app/worker';
import { freePort } from '../support/free-port';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');
const ADMIN = 'bootstrap-admin-token-for-the-cli';
const GOAL = 'fix the failing login test in src/auth.ts';
const COMMITS = { baseCommit: '1f0e3c5a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f', headCommit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' };
const LEGACY = resolve(__dirname, '../fixtures/truthpacks/legacy-v1.json');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the aict command against a running server', () => {
  let t: TestApp;
  let home: string;
  const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH!, HOME: home, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'aict-cli-'));
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN } });
    const truthpacks = t.get<TruthPackService>(TruthPackService);
    t.get<JobHandlerRegistry>(JobHandlerRegistry).replace('coordinator', {
      handle: async ({ job, signal, emit }) => {
        await emit([{ type: 'plan', role: 'planner', summary: 'read src/auth.ts and planned a fix' }]);
        if (job.goal.includes('src/fail.ts')) return { status: 'failed', code: 'tests_failed', message: 'the tests still fail' };
        if (job.goal.includes('src/capped.ts') && !job.humanResponse)
          return {
            status: 'waiting_human',
            question: {
              kind: 'escalation',
              question: 'The job reached its step cap. Continue in genius mode, or raise the cap?',
              actions: ['escalate', 'raise_cap', 'reject'],
              data: { trigger: { kind: 'cap', code: 'step_limit', cap: 'maxSteps', message: 'The job used its 60 tool calls' } },
            },
          };
        if (job.goal.includes('src/limit.ts') && job.mode === 'mechanic')
          return { status: 'failed', code: 'step_limit', message: 'The job used its tool calls' };
        if (job.goal.includes('src/ask.ts'))
          return { status: 'waiting_human', question: { kind: 'approval', question: 'May I change the public API?' } };
        if (job.goal.includes('src/slow.ts')) {
          await new Promise((done) => signal.addEventListener('abort', done));
          return { status: 'aborted', reason: 'cancelled' };
        }
        await truthpacks.seal(
          job,
          [
            { kind: 'intent', goal: job.goal },
            { kind: 'patch', diff: '--- a/src/auth.ts\n+++ b/src/auth.ts' },
          ],
          COMMITS,
        );
        return { status: 'succeeded', result: {} };
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("logs in, storing the server, the token and the server's TruthPack key readable only by the user", async () => {
    const login = await run(['login', '--server', t.url, '--token', ADMIN]);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`signed in to ${t.url}`);
    const key = (await api(t.url, 'GET', '/api/truthpacks/key')).body;
    expect(key).toEqual({
      algorithm: 'ed25519',
      publicKey: expect.stringMatching(/^[0-9a-f]{64}$/),
      keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(login.stdout).toContain(`pinned the server's TruthPack key ${key.keyId}`);
    const file = join(home, '.config/aict/config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      server: t.url,
      token: ADMIN,
      truthpackKey: { publicKey: key.publicKey, keyId: key.keyId },
    });
  });

  it('submits a job, watches it live to success, lists it, and verifies the ledger', async () => {
    const submitted = await run(['submit', GOAL, '--repo', '/srv/repo', '--mode', 'mechanic', '--watch']);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/submitted job [0-9a-f-]{36}/);
    expect(submitted.stdout).toContain('planner plan: read src/auth.ts and planned a fix');
    expect(submitted.stdout).toMatch(/status running → succeeded/);
    const id = /submitted job ([0-9a-f-]{36})/.exec(submitted.stdout)![1];

    const listed = await run(['jobs', '--status', 'succeeded', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((j: { id: string }) => j.id)).toContain(id);
    expect((await run(['jobs'])).stdout).toContain(id);

    const again = await run(['watch', id]);
    expect(again.code).toBe(0);

    const ledger = await run(['ledger', 'verify']);
    expect(ledger.code).toBe(0);
    expect(ledger.stdout).toMatch(/ledger intact: \d+ entries/);
    expect(JSON.parse((await run(['ledger', 'verify', '--json'])).stdout).ok).toBe(true);
    // The actor of the CLI's actions is the token, by its prefix.
    const actors = (await t.dataSource.query('SELECT actor FROM ledger WHERE job_id = $1', [id])).map((r: { actor: string }) => r.actor);
    expect(actors).toContain(
      `token:${(await api(t.url, 'GET', '/api/tokens', undefined, { authorization: `Bearer ${ADMIN}` })).body[0].prefix}`,
    );
  });

  it('verifies a saved TruthPack offline against the key pinned at login: bound to its job, and a tampered item caught', async () => {
    const submitted = await run(['submit', GOAL, '--repo', '/srv/repo', '--watch', '--json']);
    expect(submitted.code).toBe(0);
    const id = JSON.parse(submitted.stdout.split('\n')[0]).id;
    const pack = await api(t.url, 'GET', `/api/jobs/${id}/truthpack`, undefined, { authorization: `Bearer ${ADMIN}` });
    expect(pack.status).toBe(200);
    // The pack names the signed ledger tree head that holds every entry of its job.
    const head = pack.body.ledgerTreeHead;
    expect(verifyTreeHeadSignature(head, pack.body.publicKey)).toBe(true);
    const entries = (await api(t.url, 'GET', `/api/jobs/${id}/ledger`, undefined, { authorization: `Bearer ${ADMIN}` })).body;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e: { leafIndex: number | null }) => e.leafIndex !== null && e.leafIndex < head.treeSize)).toBe(true);
    const file = join(home, 'pack.json');
    writeFileSync(file, JSON.stringify(pack.body));
    const ok = await run(['truthpack', 'verify', file]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('TruthPack VERIFIED');
    expect(ok.stdout).toContain(`bound to job ${id} on /srv/repo, ${COMMITS.baseCommit.slice(0, 12)}..${COMMITS.headCommit.slice(0, 12)}`);
    expect(ok.stdout).toContain(`signed by the trusted key ${pack.body.verification.keyId} (from the server key pinned at aict login)`);
    expect(ok.stdout).toContain('items included: 2/2');

    writeFileSync(file, JSON.stringify({ ...pack.body, items: [{ kind: 'intent', goal: 'something else' }, pack.body.items[1]] }));
    const tampered = await run(['truthpack', 'verify', file, '--json']);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ outcome: 'invalid', valid: false, itemsIncluded: 1 });
  });

  it('checks a saved tree head, inclusion proof and consistency proof offline against the key pinned at login, and refuses edited, foreign-key or rolled-back ones', async () => {
    const save = (name: string, text: string) => {
      const file = join(home, name);
      writeFileSync(file, text);
      return file;
    };
    const kept = await run(['ledger', 'tree-head']);
    expect(kept.code).toBe(0);
    const keptHead = JSON.parse(kept.stdout);
    const keptFile = save('kept.json', kept.stdout);
    expect((await run(['submit', GOAL, '--repo', '/srv/repo', '--watch', '--json'])).code).toBe(0);
    const newer = JSON.parse((await run(['ledger', 'tree-head'])).stdout);
    expect(newer.treeSize).toBeGreaterThan(keptHead.treeSize);

    const head = await run(['verify', 'tree-head', save('newer.json', JSON.stringify(newer))]);
    expect(head.stdout).toContain(`ledger tree head VERIFIED: tree of ${newer.treeSize} leaves, root ${newer.rootHash}`);
    expect(head.code).toBe(0);

    const inclusion = (await run(['ledger', 'prove', 'inclusion', '1'])).stdout;
    const inclusionFile = save('inclusion.json', inclusion);
    const included = await run(['verify', 'inclusion', inclusionFile]);
    expect(included.stdout).toContain('ledger inclusion proof VERIFIED');
    expect(included.code).toBe(0);
    const edited = JSON.parse(inclusion);
    edited.entry.summary = 'approved by nobody';
    const editedRun = await run(['verify', 'inclusion', save('edited.json', JSON.stringify(edited))]);
    expect(editedRun.code).toBe(1);
    expect(editedRun.stdout).toContain('the entry does not hash to the leaf hash given with it');

    const consistencyFile = save(
      'consistency.json',
      (await run(['ledger', 'prove', 'consistency', String(keptHead.treeSize), String(newer.treeSize)])).stdout,
    );
    const consistent = await run(['verify', 'consistency', consistencyFile, '--kept', keptFile, '--json']);
    expect(consistent.code).toBe(0);
    expect(JSON.parse(consistent.stdout)).toMatchObject({ kind: 'consistency', valid: true, problems: [] });

    // A log that was cut back and regrown cannot prove the kept head is its prefix.
    const other = save('other.json', JSON.stringify({ ...keptHead, rootHash: 'ab'.repeat(32) }));
    const rolledBack = await run(['verify', 'consistency', consistencyFile, '--kept', other]);
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.stdout).toContain('not at the kept tree head');
    // A tree head re-signed by someone else's key names that key, and is refused.
    const forger = generateKeyPairSync('ed25519');
    const secretKey = forger.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('hex');
    const publicKey = forger.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    const forged = signTreeHead(
      { treeSize: newer.treeSize, rootHash: 'cd'.repeat(32), timestamp: newer.timestamp },
      { secretKey, publicKey },
    );
    const refused = await run(['verify', 'tree-head', save('forged.json', JSON.stringify(forged))]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`the tree head is signed by key ${forged.keyId}, NOT the trusted key ${newer.keyId}`);
  });

  it('refuses a pack signed by any key but the trusted one, even though it names its own key', async () => {
    const submitted = await run(['submit', GOAL, '--repo', '/srv/repo', '--watch', '--json']);
    const id = JSON.parse(submitted.stdout.split('\n')[0]).id;
    const real = (await api(t.url, 'GET', `/api/jobs/${id}/truthpack`, undefined, { authorization: `Bearer ${ADMIN}` })).body;
    // Someone edits the items and re-signs everything with a key of their own: consistent, and signed.
    const engine = new TdlnEngine(loadTdlnBinding());
    const forger = engine.generateSigningKey();
    const items = [{ kind: 'intent', goal: 'something else entirely' }, real.items[1]];
    const forged = engine.buildTruthPack(items, real.pack.statement, forger.secretKey).pack!;
    const file = join(home, 'forged.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...real,
        root: forged.root,
        pack: forged,
        items,
        proofs: items.map((_, i) => engine.inclusionProof(items, i)),
        publicKey: forger.publicKey,
      }),
    );
    const refused = await run(['truthpack', 'verify', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('TruthPack INVALID');
    expect(refused.stdout).toContain(
      `signed by key ${engine.truthPackKeyId(forger.publicKey)}, NOT the trusted key ${real.verification.keyId}`,
    );
    // The server says the same of it.
    const server = await api(t.url, 'POST', '/api/truthpacks/verify', { pack: forged }, { authorization: `Bearer ${ADMIN}` });
    expect(server.body).toMatchObject({ valid: false, intact: true, keyTrust: 'other_key', signedByServerKey: false });
  });

  it('says plainly, and exits 3, when there is no trusted key to check against', async () => {
    const submitted = await run(['submit', GOAL, '--repo', '/srv/repo', '--watch', '--json']);
    const id = JSON.parse(submitted.stdout.split('\n')[0]).id;
    const pack = (await api(t.url, 'GET', `/api/jobs/${id}/truthpack`, undefined, { authorization: `Bearer ${ADMIN}` })).body;
    const elsewhere = mkdtempSync(join(tmpdir(), 'aict-cli-nologin-'));
    try {
      const file = join(elsewhere, 'pack.json');
      writeFileSync(file, JSON.stringify(pack));
      // A home without a login: nothing pinned, and no --public-key.
      const unchecked = await run(['truthpack', 'verify', file], { HOME: elsewhere, AICT_SERVER: t.url });
      expect(unchecked.code).toBe(3);
      expect(unchecked.stdout).toContain('TruthPack NOT VERIFIED: consistent with itself only');
      expect(unchecked.stdout).toContain('no trusted key');
      expect(JSON.parse((await run(['truthpack', 'verify', file, '--json'], { HOME: elsewhere })).stdout)).toMatchObject({
        outcome: 'self_consistent_only',
        valid: false,
        intact: true,
        trustedKey: null,
      });
      const given = await run(['truthpack', 'verify', file, '--public-key', pack.verification.publicKey], { HOME: elsewhere });
      expect(given.code).toBe(0);
      expect(given.stdout).toContain('(from --public-key)');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('verifies a pack made before packs were bound to their job as legacy, exit 2', async () => {
    const fixture = JSON.parse(readFileSync(LEGACY, 'utf8'));
    const legacy = await run(['truthpack', 'verify', LEGACY, '--public-key', fixture.publicKey]);
    expect(legacy.stderr).toBe('');
    expect(legacy.code).toBe(2);
    expect(legacy.stdout).toContain('TruthPack LEGACY: consistency and root signature only, not bound to a job');
    expect(legacy.stdout).toContain('items included: 8/8');
    // Against the server's pinned key it is another key's pack.
    expect((await run(['truthpack', 'verify', LEGACY])).code).toBe(1);
  });

  it('settles an escalation with respond --raise-cap, and retries a job a cap stopped with retry --genius', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const capped = await run(['submit', 'fix the failing test in src/capped.ts', '--repo', '/srv/repo', '--watch']);
    expect(capped.code).toBe(3);
    const cappedId = /submitted job ([0-9a-f-]{36})/.exec(capped.stdout)![1];
    expect((await run(['respond', cappedId, '--raise-cap', '--max-steps', 'many'])).code).not.toBe(0);
    const raised = await run(['respond', cappedId, '--raise-cap', '--max-steps', '90']);
    expect(raised.stderr).toBe('');
    expect(raised.stdout).toBe(`job ${cappedId} is queued · mechanic\n`);
    await waitFor(
      async () => (await api(t.url, 'GET', `/api/jobs/${cappedId}`, undefined, auth)).body.status === 'succeeded',
      15_000,
      'the raised job',
    );
    expect((await api(t.url, 'GET', `/api/jobs/${cappedId}`, undefined, auth)).body.caps.maxSteps).toBe(90);

    const limited = await run(['submit', 'fix the failing test in src/limit.ts', '--repo', '/srv/repo', '--watch']);
    expect(limited.code).toBe(1);
    const limitedId = /submitted job ([0-9a-f-]{36})/.exec(limited.stdout)![1];
    const retried = await run(['retry', limitedId, '--genius']);
    expect(retried.stderr).toBe('');
    expect(retried.stdout).toBe(`job ${limitedId} is queued · genius\n`);
    expect((await run(['watch', limitedId])).code).toBe(0);
  });

  it('exits 1 for a failed job, 3 for one waiting for a person (answered with respond), and 2 for a cancelled one', async () => {
    const failed = await run(['submit', 'fix the failing test in src/fail.ts', '--repo', '/srv/repo', '--watch']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/job [0-9a-f-]{36} failed — tests_failed: the tests still fail/);

    const waiting = await run(['submit', 'fix the failing test in src/ask.ts', '--repo', '/srv/repo', '--watch']);
    expect(waiting.code).toBe(3);
    const waitingId = /submitted job ([0-9a-f-]{36})/.exec(waiting.stdout)![1];
    expect((await run(['respond', waitingId])).code).toBe(4);
    const responded = await run(['respond', waitingId, '--reject']);
    expect(responded.stderr).toBe('');
    expect(responded.code).toBe(0);

    const slow = await run(['submit', 'fix the failing test in src/slow.ts', '--repo', '/srv/repo', '--json']);
    const slowId = JSON.parse(slow.stdout).id;
    await waitFor(
      async () =>
        (await api(t.url, 'GET', `/api/jobs/${slowId}`, undefined, { authorization: `Bearer ${ADMIN}` })).body.status === 'running',
      15_000,
      'the slow job to run',
    );
    const watching = run(['watch', slowId]);
    await new Promise((done) => setTimeout(done, 300));
    const cancelled = await run(['cancel', slowId]);
    expect(cancelled.code).toBe(0);
    expect((await watching).code).toBe(2);
  });

  it('says clearly when the token is refused or the server is down', async () => {
    const refused = await run(['jobs'], { AICT_TOKEN: 'aict_wrongwrongwrongwrongwrongwrongwrongwrongwro' });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('the token was refused; run aict login');

    const down = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await run(['jobs'], { AICT_SERVER: down });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain(`cannot reach ${down}: is the server running?`);

    const vague = await run(['submit', 'make it better', '--repo', '/srv/repo']);
    expect(vague.code).toBe(4);
    expect(vague.stderr).toContain('unparseable_request');
  });

  it('chats: sends a message and prints the answer of the team', async () => {
    const chat = await run(['chat', GOAL, '--repo', '/srv/repo', '--timeout', '30']);
    expect(chat.stderr.split('\n').filter((l) => l.startsWith('aict:'))).toEqual([]);
    expect(chat.code).toBe(0);
    expect(chat.stdout).toMatch(/conversation [0-9a-f-]{36}/);
  });
});
