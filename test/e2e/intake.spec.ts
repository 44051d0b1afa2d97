import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const repo = '/srv/repo';

describe('intake through the TDLN engine', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

  it('stores the parsed intent, its LogLine span and the policy decision on the job and in the ledger', async () => {
    const res = await api(t.url, 'POST', '/api/jobs', { goal: "there's a bug in src/auth.ts where login fails", repo });
    expect(res.status).toBe(201);
    expect(res.body.mode).toBe('mechanic');
    expect(res.body.intent).toMatchObject({
      operation: 'bug_fix',
      targets: ['src/auth.ts'],
      readOnly: false,
      policy: { verdict: 'allow' },
    });
    expect(res.body.intentLogline).toMatch(/^INTENT: bug_fix/m);
    const ledger = await api(t.url, 'GET', `/api/jobs/${res.body.id}/ledger`);
    const intent = ledger.body.find((e: any) => e.kind === 'intent.parsed');
    expect(intent.data.proof.grammarHash).toMatch(/^[0-9a-f]{64}$/);
    expect(ledger.body.find((e: any) => e.kind === 'policy.decision').data).toMatchObject({
      stage: 'intake',
      verdict: 'allow',
      policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('takes the mode from the intent unless the request sets it', async () => {
    expect((await api(t.url, 'POST', '/api/jobs', { goal: 'add a feature to export csv in src/export.ts', repo })).body.mode).toBe(
      'genius',
    );
    expect(
      (await api(t.url, 'POST', '/api/jobs', { goal: 'add a feature to export csv in src/export.ts', repo, mode: 'mechanic' })).body.mode,
    ).toBe('mechanic');
  });

  it('answers 422 with the clarifying question and suggestions when it cannot understand the goal', async () => {
    const res = await api(t.url, 'POST', '/api/jobs', { goal: 'make it better', repo });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unparseable_request');
    expect(res.body.error.details.reason).toBe('no_match');
    expect(res.body.error.message).toBe(res.body.error.details.clarification);
    expect(res.body.error.details.suggestions.length).toBeGreaterThan(0);
    expect((await api(t.url, 'GET', '/api/jobs')).body.items.some((j: any) => j.goal === 'make it better')).toBe(false);
  });

  it('answers 403 with violations for a dangerous request or a forbidden path, and queues nothing', async () => {
    const dangerous = await api(t.url, 'POST', '/api/jobs', { goal: 'delete everything and force-push', repo });
    expect(dangerous.status).toBe(403);
    expect(dangerous.body.error.code).toBe('policy_blocked');
    expect(dangerous.body.error.details.reason).toBe('dangerous');
    const secrets = await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in .env', repo });
    expect(secrets.status).toBe(403);
    expect(secrets.body.error.details.violations[0]).toMatchObject({ ruleId: 'forbidden_path', path: '.env' });
  });

  it('answers 422 naming what is missing, with rephrasings the grammar itself accepts', async () => {
    for (const goal of ['make it better', 'fix it', 'the login page']) {
      const res = await api(t.url, 'POST', '/api/jobs', { goal, repo: '/srv/repo' });
      expect(res.status, goal).toBe(422);
      const { details } = res.body.error;
      expect(['operation', 'target', 'behaviour', 'choice'], goal).toContain(details.missing);
      expect(details.suggestions.length, goal).toBeGreaterThanOrEqual(2);
      expect(details.model, goal).toBe('not_configured');
      for (const suggestion of details.suggestions) {
        const check = await api(t.url, 'POST', '/api/tdln/parse', { text: suggestion });
        expect(check.body.ok, `${goal} → ${suggestion}`).toBe(true);
      }
    }
  });

  it('understands the way developers phrase changes, and reads a long issue by its title', async () => {
    const cases: [string, string][] = [
      ['upgrade lodash to 4.17.21', 'dependency_update'],
      ['chore(deps): bump typescript from 5.4.5 to 5.6.2', 'dependency_update'],
      ['change the timeout in src/config.ts to 30 seconds', 'change'],
      ['make the login page faster', 'performance'],
      ['Throw on invalid status codes', 'change'],
      ['Allow parsing empty request bodies', 'feature'],
      ['Fixed a crash when the cart is empty', 'bug_fix'],
      ['docs: fix typo in README', 'document'],
    ];
    for (const [goal, operation] of cases) {
      const res = await api(t.url, 'POST', '/api/jobs', { goal, repo: '/srv/repo' });
      expect(res.status, goal).toBe(201);
      expect(res.body.intent.operation, goal).toBe(operation);
      expect(res.body.intent.source, goal).toMatchObject({ kind: 'grammar' });
    }
    const issue = `Login fails with an empty password in src/auth.ts\n\n${'Steps to reproduce: open the page and press the button. '.repeat(170)}`;
    expect(issue.length).toBeLessThanOrEqual(10_000);
    const res = await api(t.url, 'POST', '/api/jobs', { goal: issue, repo: '/srv/repo' });
    expect(res.status).toBe(201);
    expect(res.body.intent).toMatchObject({ operation: 'bug_fix', targets: ['src/auth.ts'] });
  });

  it('does not refuse harmless requests for the words they mention', async () => {
    for (const goal of [
      'show an error message when the password is too short in src/login.ts',
      'fix the post handler that refreshes tokens in src/auth.ts',
      'delete the old helper in src/x.ts that the repo no longer uses',
    ]) {
      const res = await api(t.url, 'POST', '/api/jobs', { goal, repo: '/srv/repo' });
      expect(res.status, goal).toBe(201);
    }
  });

  it('previews how a request is understood at POST /api/tdln/parse', async () => {
    const ok = await api(t.url, 'POST', '/api/tdln/parse', { text: 'refactor src/db.ts to use a pool' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, intent: { operation: 'refactor', mode: 'genius' }, policy: { verdict: 'allow' } });
    const vague = await api(t.url, 'POST', '/api/tdln/parse', { text: 'do stuff' });
    expect(vague.body.ok).toBe(false);
    expect(vague.body.abstain.clarification.length).toBeGreaterThan(10);
    expect((await api(t.url, 'POST', '/api/tdln/parse', { text: '' })).status).toBe(400);
  });

  it('lists the engine artefacts and the pipeline stages in force', async () => {
    const res = await api(t.url, 'GET', '/api/tdln/registry');
    expect(res.body.engine.grammarHash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.stages.stages.map((s: any) => s.name)).toEqual(['intake', 'plan', 'build', 'review', 'quality', 'render', 'seal']);
  });

  it('refuses to start with invalid pipeline stages, naming the setting, the file and the problem', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aict-stages-')), 'stages.toml');
    writeFileSync(file, 'id = "p"\nversion = "1"\n[[stages]]\nname = "deploy"\nrole = "ops"\nbudget_share = 0.5\n');
    await expect(startTestApp({ env: { ROLE: 'api', PIPELINE_STAGES_FILE: file } })).rejects.toThrow(
      /PIPELINE_STAGES_FILE: invalid pipeline stages in .*stages\.toml: .*unknown stage/,
    );
  });
});
