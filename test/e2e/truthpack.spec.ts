import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TruthPackService } from '@app/provenance';
import { TdlnEngine, loadTdlnBinding } from '@app/tdln';
import { TestApp, startTestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { api } from '../support/http';

const ADMIN = 'bootstrap-admin-token-for-truthpacks';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const COMMITS = { baseCommit: '1f0e3c5a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f', headCommit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' };
const ITEMS = [
  { kind: 'intent', goal: 'fix the failing login test in src/auth.ts' },
  { kind: 'tool_call', tool: 'run_tests', role: 'builder', ok: true },
];
// Made by the code before TruthPacks were bound to their job, with the key beside it.
const LEGACY = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/truthpacks/legacy-v1.json'), 'utf8'));
const LEGACY_KEY = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/truthpacks/legacy-v1.key.json'), 'utf8'));

const engine = new TdlnEngine(loadTdlnBinding());
const keyA = engine.generateSigningKey();
const keyB = engine.generateSigningKey();

describe('TruthPacks bound to their job, checked against the server key', () => {
  const database = createTestDatabase();
  let t: TestApp;
  let log = '';
  const start = async (secretKey: string) =>
    startTestApp({
      databaseUrl: await database,
      logDestination: new Writable({
        write(chunk, _encoding, done) {
          log += String(chunk);
          done();
        },
      }),
      env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN, ROLE: 'api', LOG_LEVEL: 'info', TRUTHPACK_SIGNING_KEY: secretKey },
    });
  const newJob = async (repo = '/srv/repos/shop') =>
    (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the failing login test in src/auth.ts', repo }, AUTH)).body as {
      id: string;
      repo: string;
    };
  const read = async (id: string) => (await api(t.url, 'GET', `/api/jobs/${id}/truthpack`, undefined, AUTH)).body;

  beforeAll(async () => {
    t = await start(keyA.secretKey);
  });
  afterAll(async () => t?.close());

  it('serves the public key and its id without a token, as printed at start-up', async () => {
    const res = await api(t.url, 'GET', '/api/truthpacks/key');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ algorithm: 'ed25519', publicKey: keyA.publicKey, keyId: engine.truthPackKeyId(keyA.publicKey) });
    const line = log.split('\n').find((l) => l.includes('"truthpackPublicKey"'));
    expect(JSON.parse(line!)).toMatchObject({
      truthpackPublicKey: keyA.publicKey,
      truthpackKeyId: res.body.keyId,
      from: 'TRUTHPACK_SIGNING_KEY',
    });
  });

  it('signs a statement naming the job, repository, commits, root, item count, time and key, and verifies it on read', async () => {
    const job = await newJob();
    const before = Date.now();
    await t.get<TruthPackService>(TruthPackService).seal(job, ITEMS, COMMITS);
    const pack = await read(job.id);
    const keyId = engine.truthPackKeyId(keyA.publicKey);
    expect(pack.pack.statement).toEqual({
      type: 'tdln-truthpack-statement/1',
      jobId: job.id,
      repository: '/srv/repos/shop',
      ...COMMITS,
      root: pack.root,
      itemCount: 2,
      sealedAt: expect.any(String),
      keyId,
    });
    expect(Date.parse(pack.pack.statement.sealedAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(pack.verification).toMatchObject({
      valid: true,
      intact: true,
      format: 'bound',
      keyTrust: 'trusted',
      keyId,
      serverKeyId: keyId,
      signedByServerKey: true,
      itemsIncluded: true,
      errors: [],
    });
  });

  it('trusts the server key, never the key a stored pack names: a pack re-signed by another key is invalid on read', async () => {
    const job = await newJob();
    await t.get<TruthPackService>(TruthPackService).seal(job, ITEMS, COMMITS);
    const forger = engine.generateSigningKey();
    const forged = engine.buildTruthPack(
      [{ kind: 'intent', goal: 'something else entirely' }, ITEMS[1]],
      { jobId: job.id, repository: job.repo, ...COMMITS, sealedAt: new Date().toISOString() },
      forger.secretKey,
    );
    // Behind the application's back: the row's pack and its stored key both replaced.
    await t.dataSource.query('UPDATE truth_packs SET pack = $2::jsonb, items = $3::jsonb, root = $4, public_key = $5 WHERE job_id = $1', [
      job.id,
      forged.packJson,
      JSON.stringify(forged.pack!.items),
      forged.pack!.root,
      forger.publicKey,
    ]);
    const pack = await read(job.id);
    expect(pack.verification).toMatchObject({ valid: false, intact: true, keyTrust: 'other_key', signedByServerKey: false });
    expect(pack.verification.errors).toEqual([
      expect.objectContaining({
        code: 'key_mismatch',
        message: `signed by key ${engine.truthPackKeyId(forger.publicKey)}, not by the trusted key ${engine.truthPackKeyId(keyA.publicKey)}`,
      }),
    ]);
  });

  it("refuses a pack moved to another job's row, though its signature holds", async () => {
    const first = await newJob();
    const second = await newJob('/srv/repos/other');
    await t.get<TruthPackService>(TruthPackService).seal(first, ITEMS, COMMITS);
    await t.get<TruthPackService>(TruthPackService).seal(second, ITEMS, COMMITS);
    await t.dataSource.query('UPDATE truth_packs SET pack = (SELECT pack FROM truth_packs WHERE job_id = $1) WHERE job_id = $2', [
      first.id,
      second.id,
    ]);
    const moved = await read(second.id);
    expect(moved.verification).toMatchObject({ valid: false, intact: true, keyTrust: 'trusted' });
    expect(moved.verification.errors.map((e: { code: string }) => e.code)).toEqual(['statement_job', 'statement_repository']);
  });

  it('says after a key rotation that older packs were signed by another key, and verifies them against that key on request', async () => {
    const job = await newJob();
    await t.get<TruthPackService>(TruthPackService).seal(job, ITEMS, COMMITS);
    await t.close();
    t = await start(keyB.secretKey);
    const pack = await read(job.id);
    expect(pack.verification).toMatchObject({
      valid: false,
      intact: true,
      keyTrust: 'other_key',
      keyId: engine.truthPackKeyId(keyA.publicKey),
      serverKeyId: engine.truthPackKeyId(keyB.publicKey),
      signedByServerKey: false,
    });
    const old = await api(t.url, 'POST', '/api/truthpacks/verify', { pack: pack.pack, publicKey: keyA.publicKey }, AUTH);
    expect(old.body).toMatchObject({ valid: true, format: 'bound', keyTrust: 'trusted', signedByServerKey: false });
    await t.close();
    t = await start(keyA.secretKey);
  });

  it('reads a pack from before job binding as legacy: root signature only, not bound to a job', async () => {
    await t.close();
    t = await start(LEGACY_KEY.secretKey);
    const job = await newJob();
    // A row as the code before this change stored it (root-only signature, no statement).
    await t.dataSource.query(
      `INSERT INTO truth_packs (job_id, root, size, pack, items, public_key) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)`,
      [job.id, LEGACY.root, LEGACY.size, JSON.stringify(LEGACY.pack), JSON.stringify(LEGACY.items), LEGACY.publicKey],
    );
    const pack = await read(job.id);
    expect(pack.verification).toMatchObject({
      valid: true,
      intact: true,
      format: 'legacy',
      keyTrust: 'trusted',
      signedByServerKey: true,
      statement: null,
      itemsIncluded: true,
      errors: [],
    });
    await t.close();
    t = await start(keyA.secretKey);
  });
});
