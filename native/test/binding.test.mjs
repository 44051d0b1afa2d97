// Tests of the Node binding: run after `napi build` with `node --test native/test/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tdln = require('../binding/index.js');

test('the generated .d.ts matches the committed snapshot', () => {
  const dts = readFileSync(join(here, '../binding/index.d.ts'), 'utf8');
  const snap = join(here, 'index.d.ts.snap');
  if (process.env.UPDATE_SNAPSHOT || !existsSync(snap)) writeFileSync(snap, dts);
  assert.equal(dts, readFileSync(snap, 'utf8'), 'binding surface changed: rerun with UPDATE_SNAPSHOT=1 and review the diff');
  assert.ok(!dts.includes('const enum'), 'string enums must be unions');
});

test('parseIntent picks the most specific rule and returns a path target', () => {
  const r = tdln.parseIntent("there's a bug in src/auth.ts, don't touch tests");
  assert.equal(r.ok, true);
  assert.equal(r.intent.operation, 'bug_fix');
  assert.equal(r.intent.slots.target, 'src/auth.ts');
  assert.deepEqual(
    r.intent.constraints.map((c) => c.id),
    ['no_test_changes'],
  );
  assert.equal(r.intent.mode, 'mechanic');
  assert.equal(r.intent.proof.grammarHash, tdln.engineInfo().grammarHash);
  assert.equal(tdln.logLineParse(r.intent.span).errors.length, 0);
});

test('parseIntent abstains with what is missing and rephrasings that parse, and validates options', () => {
  const r = tdln.parseIntent('make it better', { files: ['src/login.ts', 'README.md'] });
  assert.equal(r.ok, false);
  assert.equal(r.abstain.reason, 'no_match');
  assert.equal(r.abstain.missing, 'operation');
  assert.ok(r.abstain.suggestions.length >= 2);
  for (const s of r.abstain.suggestions) assert.equal(tdln.parseIntent(s).ok, true, s);
  assert.equal(tdln.parseIntent('fix src/a.ts', { threshold: 3 }).errors[0].code, 'invalid_option');
});

test('the grammar reads commit-style requests and records where the intent came from', () => {
  const r = tdln.parseIntent('chore(deps): bump lodash from 4.17.20 to 4.17.21');
  assert.equal(r.intent.operation, 'dependency_update');
  assert.deepEqual({ kind: r.intent.source.kind, ruleId: r.intent.source.ruleId }, { kind: 'grammar', ruleId: 'dependency_update' });
  assert.equal(r.intent.source.grammarHash, tdln.engineInfo().grammarHash);
});

test('a model proposal becomes an intent with the model as its source, or an error naming the field', () => {
  const source = { model: 'claude-haiku-4-5', requestId: 'req_1', promptHash: 'a'.repeat(64) };
  const ok = tdln.intentFromProposal(
    'make the login page faster',
    { understood: true, operation: 'performance', targets: ['src/login.ts'] },
    source,
  );
  assert.equal(ok.intent.operation, 'performance');
  assert.deepEqual({ kind: ok.intent.source.kind, model: ok.intent.source.model }, { kind: 'model', model: 'claude-haiku-4-5' });
  const bad = tdln.intentFromProposal('x', { understood: true, operation: 'deploy' }, source);
  assert.deepEqual([bad.ok, bad.errors[0].code, bad.errors[0].path], [false, 'invalid_proposal', 'operation']);
  const schema = tdln.intentProposalSchema();
  assert.deepEqual(schema.properties.operation.enum, tdln.engineInfo().operations);
});

test('evaluatePolicy judges the request text by what it would do, not by its words', () => {
  const refused = tdln.evaluatePolicy({ request: 'commit the .env file with the production keys' });
  assert.equal(refused.verdict, 'block');
  assert.equal(refused.violations[0].ruleId, 'secrets_exposure');
  assert.match(refused.violations[0].evidence, /commit the \.env file/);
  assert.equal(refused.requestRulesHash.length, 64);
  assert.equal(tdln.evaluatePolicy({ request: 'show an error message when the password is too short in src/login.ts' }).verdict, 'allow');
});

test('LogLine round-trips through the binding and reports line and column', () => {
  const spans = [{ type: 'TASK', name: 't-1', properties: { title: 'x "y"', n: 2, ok: true, ref: { $ref: 'plan-1' }, tags: ['a'] } }];
  const { text, errors } = tdln.logLineSerialize(spans);
  assert.deepEqual(errors, []);
  assert.deepEqual(tdln.logLineParse(text).spans, spans);
  const bad = tdln.logLineParse('TASK: t\n  a: [1,\nEND');
  assert.equal(bad.errors[0].line, 2);
  assert.ok(bad.errors[0].column > 1);
});

test('evaluatePolicy blocks secrets and requires green tests before commit', () => {
  const d = tdln.evaluatePolicy({ actions: [{ type: 'file_change', path: '.env', kind: 'edit', added: 1, removed: 0 }] });
  assert.equal(d.verdict, 'block');
  assert.equal(d.violations[0].ruleId, 'forbidden_path');
  assert.equal(d.policyHash.length, 64);
  assert.equal(tdln.evaluatePolicy({ actions: [{ type: 'commit' }], lastTestPassedAfterLastEdit: true }).verdict, 'allow');
  assert.equal(tdln.evaluatePolicy({ actions: [{ type: 'file_change', path: 'a.ts' }] }).errors[0].code, 'invalid_input');
  assert.equal(tdln.evaluatePolicy({}, 'id = ').errors[0].code, 'invalid_policy');
});

test('checkQuality blocks answers that claim files outside the evidence', () => {
  const q = tdln.checkQuality(
    {
      tests: { ran: true, passed: 3, failed: 0 },
      lint: { ran: true, errors: 0 },
      change: { files: 1, lines: 4 },
      budget: { tokens: 0.2 },
      finalAnswer: 'Fixed src/auth.ts and src/db.ts as requested.',
      evidence: { touched: ['src/auth.ts'], read: [] },
    },
    'mechanic',
  );
  assert.equal(q.verdict, 'BLOCK');
  assert.deepEqual(q.unverifiedPaths, ['src/db.ts']);
});

test('checkClaims runs the claimed-paths check on any text', () => {
  const c = tdln.checkClaims('subtract in src/calc.js adds; src/ghost.js calls it.', ['src/calc.js']);
  assert.deepEqual(c, { claimed: ['src/calc.js', 'src/ghost.js'], unverified: ['src/ghost.js'] });
});

test('renderTemplate cites data paths and errors on missing fields', () => {
  const r = tdln.renderTemplate('job_failed', { job: { id: 'J-1' }, reason: 'tests failed', next_step: 'rerun' });
  assert.equal(r.text, 'Job J-1 failed: tests failed\nNext step: rerun');
  assert.deepEqual(r.citations, ['data.job.id', 'data.reason', 'data.next_step']);
  assert.deepEqual(r.evidence, [
    { path: 'data.job.id', value: 'J-1' },
    { path: 'data.reason', value: 'tests failed' },
    { path: 'data.next_step', value: 'rerun' },
  ]);
  const bad = tdln.renderTemplate('job_failed', JSON.stringify({ job: { id: 'J-1' } }));
  assert.equal(bad.text, '');
  assert.equal(bad.errors[0].path, 'data.reason');
});

test('truth packs sign a statement binding them to their job, verify offline, and prove inclusion', () => {
  const keys = tdln.generateSigningKey();
  const items = JSON.stringify([
    { kind: 'intent', op: 'bug_fix' },
    { kind: 'tool_call', n: 1.5, role: 'builder' },
    { kind: 'answer', text: 'done' },
  ]);
  const binding = {
    jobId: '3f1c2a9e-5b7d-4e2a-9c1f-8a6b4d2e0f17',
    repository: '/srv/repos/shop',
    baseCommit: '1f0e3c5a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f',
    headCommit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
    sealedAt: '2026-12-05T10:15:00.000Z',
  };
  const { pack, packJson, errors } = tdln.buildTruthPack(items, binding, keys.secretKey);
  assert.deepEqual(errors, []);
  assert.equal(tdln.truthPackRoot(items).root, pack.root);
  const keyId = tdln.truthPackKeyId(keys.publicKey).keyId;
  assert.equal(keyId, createHash('sha256').update(Buffer.from(keys.publicKey, 'hex')).digest('hex').slice(0, 16));
  assert.deepEqual(pack.statement, { type: 'tdln-truthpack-statement/1', ...binding, root: pack.root, itemCount: 3, keyId });

  // The signature is Ed25519 over the statement's RFC 8785 JSON: Node's own crypto agrees.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(keys.publicKey, 'hex')]);
  const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const signed = Buffer.from(tdln.canonicalJson(JSON.stringify(pack.statement)).json);
  assert.equal(verify(null, signed, publicKey, Buffer.from(pack.signature, 'hex')), true);

  assert.deepEqual(tdln.verifyTruthPack(packJson, keys.publicKey), {
    valid: true,
    intact: true,
    format: 'bound',
    keyTrust: 'trusted',
    publicKey: keys.publicKey,
    keyId,
    statement: pack.statement,
    errors: [],
  });
  const unchecked = tdln.verifyTruthPack(packJson);
  assert.deepEqual([unchecked.valid, unchecked.intact, unchecked.keyTrust], [false, true, 'unchecked']);
  const other = tdln.verifyTruthPack(packJson, tdln.generateSigningKey().publicKey);
  assert.deepEqual([other.valid, other.keyTrust, other.errors[0].code], [false, 'other_key', 'key_mismatch']);
  assert.equal(tdln.verifyTruthPack(packJson.replace('done', 'gone'), keys.publicKey).valid, false);
  assert.equal(tdln.verifyTruthPack(packJson.replace(binding.jobId, '00000000-0000-4000-8000-000000000000'), keys.publicKey).valid, false);
  assert.equal(tdln.buildTruthPack(items, { ...binding, headCommit: 'HEAD' }, keys.secretKey).errors[0].code, 'invalid_binding');

  const { proof } = tdln.inclusionProof(items, 1);
  assert.equal(proof.root, pack.root);
  assert.equal(tdln.verifyInclusion('{"n":1.5,"kind":"tool_call","role":"builder"}', proof, pack.root).valid, true);
  assert.equal(tdln.verifyInclusion('{"n":2,"kind":"tool_call","role":"builder"}', proof, pack.root).valid, false);
});

test('a truth pack made before packs were bound to their job verifies as legacy', () => {
  const view = JSON.parse(readFileSync(join(here, '../../test/fixtures/truthpacks/legacy-v1.json'), 'utf8'));
  const verdict = tdln.verifyTruthPack(JSON.stringify(view.pack), view.publicKey);
  assert.deepEqual([verdict.valid, verdict.format, verdict.keyTrust, verdict.statement], [true, 'legacy', 'trusted', undefined]);
});

test('canonicalJson and sha256Hex agree with Node byte for byte', () => {
  const { json } = tdln.canonicalJson('{"b":[1E30,4.50,2e-3],"a":"\\u20ac"}');
  assert.equal(json, '{"a":"€","b":[1e+30,4.5,0.002]}');
  for (const s of ['', 'abc', 'héllo €😀', json]) {
    assert.equal(tdln.sha256Hex(s), createHash('sha256').update(s, 'utf8').digest('hex'));
  }
  assert.equal(tdln.canonicalJson('{').errors[0].code, 'invalid_json');
});

test('registry and stages are listed and validated', () => {
  const { artefacts } = tdln.registryList();
  assert.deepEqual(
    artefacts.map((a) => a.kind),
    ['grammar', 'templates', 'policy', 'policy', 'request_rules', 'quality_profiles', 'stages'],
  );
  const d = tdln.defaultStages();
  assert.equal(d.ok, true);
  assert.deepEqual(
    d.stages.map((s) => s.name),
    ['intake', 'plan', 'build', 'review', 'quality', 'render', 'seal'],
  );
  const v = tdln.validateStages(
    '{"id":"p","version":"1","stages":[{"name":"intake","role":"r","budget_share":0.7},{"name":"intake","role":"r","budget_share":0.7}]}',
  );
  assert.equal(v.ok, false);
  assert.ok(v.errors.some((e) => e.code === 'duplicate_stage'));
  assert.ok(v.errors.some((e) => e.code === 'budget_total'));
});
