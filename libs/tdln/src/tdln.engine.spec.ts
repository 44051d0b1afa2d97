import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson as ledgerCanonicalJson } from '@app/ledger';
import { loadTdlnBinding } from './tdln-binding';
import { TdlnEngine, renderedRef } from './tdln.engine';
import { TdlnErrorCode } from './tdln.errors';
import { loadSigningKey, publicKeyOf } from './signing-key.store';
import { DomainException } from '@app/common';

const engine = new TdlnEngine(loadTdlnBinding());

/** A small deterministic generator of JSON values, to compare the two canonicalisers on many inputs. */
function* values(seed = 7, count = 400): Generator<unknown> {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const strings = ['', 'a', 'é', '\u20ac', '😀', '\n\t"\\', '\u0000\u001f', 'z'.repeat(40), '\ud800x'.slice(1)];
  const numbers = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.123, 2 ** 53 - 1, -1.5e-300, 333333333.3333333];
  const gen = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.3) return numbers[Math.floor(next() * numbers.length)] * (next() < 0.5 ? 1 : 1 + next());
    if (r < 0.5) return strings[Math.floor(next() * strings.length)];
    if (r < 0.6) return next() < 0.5 ? true : null;
    if (r < 0.8) return Array.from({ length: Math.floor(next() * 4) }, () => gen(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(next() * 5) }, () => [
        strings[Math.floor(next() * strings.length)] + Math.floor(next() * 10),
        gen(depth + 1),
      ]),
    );
  };
  for (let i = 0; i < count; i++) yield gen(0);
}

describe('TDLN engine through the Node binding', () => {
  it('canonicalises JSON byte for byte like the ledger does, on RFC 8785 samples and generated values', () => {
    /* eslint-disable no-loss-of-precision -- RFC 8785's own samples: the literal is the point */
    const samples: unknown[] = [
      {
        numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000f\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      },
      {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      },
      ...values(),
    ];
    for (const value of samples) expect(engine.canonicalJson(value)).toBe(ledgerCanonicalJson(value));
    expect(engine.canonicalJson({ numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001] })).toBe(
      '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
    );
    /* eslint-enable no-loss-of-precision */
  });

  it('parses a request into an intent with a proof, abstains on a vague one, and leaves danger to the policy', () => {
    const parsed = engine.parseIntent('fix the bug in src/auth.ts');
    expect(parsed.intent).toMatchObject({ operation: 'bug_fix', targets: ['src/auth.ts'], mode: 'mechanic', readOnly: false });
    expect(parsed.intent!.proof.grammarHash).toBe(engine.info().grammarHash);
    expect(parsed.intent!.span).toMatch(/^INTENT: /m);
    expect(engine.parseIntent('make it better').abstain?.reason).toBe('no_match');
    const judged = engine.evaluatePolicy({ request: 'delete everything and force-push' });
    expect(judged.verdict).toBe('block');
    expect(judged.violations.map((v) => v.ruleId)).toEqual(expect.arrayContaining(['mass_delete', 'history_rewrite']));
  });

  it('seals provenance in a TruthPack bound to its job, which verifies offline only under the trusted key and fails when tampered with', () => {
    const key = engine.generateSigningKey();
    expect(publicKeyOf(key.secretKey)).toBe(key.publicKey);
    const items = [
      { kind: 'intent', operation: 'bug_fix' },
      { kind: 'patch', diff: '--- a\n+++ b\n' },
      { kind: 'tests', passed: 3 },
    ];
    const binding = {
      jobId: '3f1c2a9e-5b7d-4e2a-9c1f-8a6b4d2e0f17',
      repository: '/srv/repos/shop',
      baseCommit: 'a'.repeat(40),
      headCommit: 'b'.repeat(40),
      sealedAt: new Date().toISOString(),
    };
    const built = engine.buildTruthPack(items, binding, key.secretKey);
    expect(built.errors).toEqual([]);
    expect(built.pack!.statement).toMatchObject({ ...binding, itemCount: 3, keyId: engine.truthPackKeyId(key.publicKey) });
    expect(engine.verifyTruthPack(built.packJson!, key.publicKey)).toMatchObject({ valid: true, format: 'bound', errors: [] });
    expect(engine.verifyTruthPack(built.packJson!)).toMatchObject({ valid: false, intact: true, keyTrust: 'unchecked' });
    const tampered = built.packJson!.replace(
      built.pack!.root,
      built.pack!.root.replace(/^./, (c) => (c === '0' ? '1' : '0')),
    );
    expect(engine.verifyTruthPack(tampered, key.publicKey).valid).toBe(false);
    expect(engine.verifyTruthPack(built.packJson!, engine.generateSigningKey().publicKey)).toMatchObject({
      valid: false,
      intact: true,
      keyTrust: 'other_key',
    });
    const proof = engine.inclusionProof(items, 1);
    expect(engine.verifyInclusion(items[1], proof, built.pack!.root).valid).toBe(true);
    expect(engine.verifyInclusion({ kind: 'patch', diff: 'forged' }, proof, built.pack!.root).valid).toBe(false);
  });

  it("computes every item's inclusion proof in one pass, each the same as the proof computed for it alone", () => {
    const items = Array.from({ length: 37 }, (_, i) => ({ kind: 'tool_call', seq: i, ok: i % 3 === 0 }));
    const proofs = engine.inclusionProofs(items);
    expect(proofs).toHaveLength(items.length);
    proofs.forEach((proof, i) => {
      expect(proof).toEqual(engine.inclusionProof(items, i));
      expect(engine.verifyInclusion(items[i], proof, proof.root).valid).toBe(true);
    });
    expect(engine.inclusionProofs([])).toEqual([]);
  });

  it('validates pipeline stages and reports bad ones as data', () => {
    expect(engine.stages().ok).toBe(true);
    expect(engine.stages().stages.map((s) => s.role)).toEqual([
      'coordinator',
      'planner',
      'builder',
      'reviewer',
      'system',
      'coordinator',
      'system',
    ]);
    const bad = engine.stages('id = "p"\nversion = "1"\n[[stages]]\nname = "deploy"\nrole = "ops"\nbudget_share = 2\n');
    expect(bad.ok).toBe(false);
    expect(bad.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['unknown_stage']));
  });

  it('lists its versioned, content-addressed artefacts', () => {
    const kinds = engine.registry().map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['grammar', 'templates', 'policy', 'quality_profiles', 'stages']));
    for (const artefact of engine.registry()) expect(artefact.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renders a text a person reads with the evidence it cites, and refuses to render one with a field missing', () => {
    const rendered = engine.text('job_aborted', { job: { id: 'J-7' }, reason: 'rejected' });
    expect(rendered).toEqual({
      text: 'Job J-7 was stopped (rejected).',
      templateId: 'job_aborted',
      citations: ['data.job.id', 'data.reason'],
      evidence: { 'data.job.id': 'J-7', 'data.reason': 'rejected' },
    });
    expect(renderedRef(rendered)).toEqual({ id: 'job_aborted', citations: rendered.citations, evidence: rendered.evidence });
    let thrown: unknown;
    try {
      engine.text('job_aborted', { reason: 'rejected' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainException);
    expect(thrown).toMatchObject({ code: TdlnErrorCode.TemplateFailed, details: { templateId: 'job_aborted' } });
    expect((thrown as Error).message).toMatch(/data\.job/);
    const templates = engine.registry().find((a) => a.kind === 'templates');
    expect(templates).toMatchObject({ version: '1.1.0' });
    expect(engine.info().templatesHash).toBe(templates!.sha256);
  });

  it('checks the paths a text claims against the evidence, as the quality gate does', () => {
    expect(engine.checkClaims('see src/calc.js and src/ghost.js', ['src/calc.js'])).toEqual({
      claimed: ['src/calc.js', 'src/ghost.js'],
      unverified: ['src/ghost.js'],
    });
  });

  describe('signing key store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aict-keys-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('generates the key once into the data directory, private to its owner, and reads it back after', () => {
      const first = loadSigningKey(dir, undefined, () => engine.generateSigningKey());
      const second = loadSigningKey(dir, undefined, () => {
        throw new Error('must not generate again');
      });
      expect(second).toEqual(first);
      expect(statSync(join(dir, 'keys', 'truthpack-ed25519.json')).mode & 0o777).toBe(0o600);
      const configured = engine.generateSigningKey();
      expect(loadSigningKey(dir, configured.secretKey, () => engine.generateSigningKey())).toEqual(configured);
    });

    it('keeps the key of whichever process wrote it first when two start together on one directory', () => {
      const shared = mkdtempSync(join(tmpdir(), 'aict-keys-race-'));
      try {
        const winner = engine.generateSigningKey();
        // The other process links its file between this one's existence check and its own link.
        const mine = loadSigningKey(shared, undefined, () => {
          loadSigningKey(shared, undefined, () => winner);
          return engine.generateSigningKey();
        });
        expect(mine).toEqual(winner);
        expect(loadSigningKey(shared, undefined, () => engine.generateSigningKey())).toEqual(winner);
        expect(readdirSync(join(shared, 'keys'))).toEqual(['truthpack-ed25519.json']);
      } finally {
        rmSync(shared, { recursive: true, force: true });
      }
    });

    it('refuses a weak key in the key file, and never writes one', () => {
      const weakDir = mkdtempSync(join(tmpdir(), 'aict-keys-weak-'));
      try {
        const zero = '0'.repeat(64);
        const drawn = [{ secretKey: zero, publicKey: publicKeyOf(zero) }, engine.generateSigningKey()];
        // A generator that (by a one-in-10^15 chance) draws a weak key is asked again.
        expect(loadSigningKey(weakDir, undefined, () => drawn.shift()!).secretKey).not.toBe(zero);
        writeFileSync(join(weakDir, 'keys', 'truthpack-ed25519.json'), JSON.stringify({ secretKey: zero, publicKey: publicKeyOf(zero) }));
        expect(() => loadSigningKey(weakDir, undefined, () => engine.generateSigningKey())).toThrow(/holds a weak signing key/);
      } finally {
        rmSync(weakDir, { recursive: true, force: true });
      }
    });
  });
});
