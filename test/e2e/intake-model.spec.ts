import { createHmac, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { overloaded, reply, text, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const GENERIC_SECRET = 'generic-webhook-secret-0123456789';
const propose = (input: Record<string, unknown>) => reply(toolUse('propose_intent', input));

/**
 * Intake with a model configured: the grammar reads first; when it abstains, the Coordinator asks
 * the model (the real SDK against the fake Messages API) for a structured intent through one forced
 * tool call, the engine checks it, and the policy judges it and the text as it judges the grammar's.
 */
describe('intake with a model when the grammar abstains', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let repo: string;
  let other: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-intake-model-'));
    chmodSync(root, 0o777);
    repo = await makeRepo('calc-js', join(root, 'calc'));
    other = await makeRepo('calc-js', join(root, 'calc-copy'));
    t = await startTestApp({
      env: {
        ROLE: 'api',
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data'),
        INTAKE_MODEL_MAX_RETRIES: '0',
        GENERIC_WEBHOOK_SECRET: GENERIC_SECRET,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const intakeCalls = (phrase: string) =>
    fake.messageRequests().filter((r) => r.role === 'intake' && JSON.stringify(r.body).includes(phrase));
  const jobsWithGoal = async (goal: string) =>
    (await api(t.url, 'GET', '/api/jobs?limit=200')).body.items.filter((j: any) => j.goal === goal);

  it('turns a request the grammar cannot read into a job whose intent records the model as its source', async () => {
    const goal = 'subtract in calc gives wrong answers';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        intake: [
          propose({
            understood: true,
            operation: 'bug_fix',
            targets: ['src/calc.js'],
            description: 'subtract adds instead of subtracting',
            mode: 'mechanic',
          }),
        ],
      },
    });
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(res.status).toBe(201);
    expect(res.body.intent).toMatchObject({
      operation: 'bug_fix',
      targets: ['src/calc.js'],
      source: { kind: 'model', ruleId: 'model', model: 'claude-haiku-4-5' },
    });
    const [call] = intakeCalls(goal);
    expect(res.body.intent.source.requestId).toBe(call.requestId);
    expect(res.body.intent.source.promptHash).toMatch(/^[0-9a-f]{64}$/);
    // The model was forced to call the one tool whose schema is the engine's intent shape, and saw the repository's files.
    expect(call.body!.tool_choice).toEqual({ type: 'tool', name: 'propose_intent' });
    expect((call.body!.tools as any[])[0].input_schema.properties.operation.enum).toContain('dependency_update');
    expect(JSON.stringify(call.body!.messages)).toContain('src/calc.js');
    // Metered like any model call: charged to the job, and an event of its own.
    const job = (await api(t.url, 'GET', `/api/jobs/${res.body.id}`)).body;
    expect(job.usage.tokens).toBeGreaterThan(0);
    expect(job.usage.tokens).toBe(
      call.usage!.input_tokens +
        call.usage!.output_tokens +
        (call.usage!.cache_creation_input_tokens ?? 0) +
        (call.usage!.cache_read_input_tokens ?? 0),
    );
    const events = (await api(t.url, 'GET', `/api/events?jobId=${res.body.id}`)).body.items;
    expect(events.find((e: any) => e.type === 'model_call')).toMatchObject({
      role: 'coordinator',
      data: { stage: 'intake', requestId: call.requestId, cached: false },
    });
    const ledger = (await api(t.url, 'GET', `/api/jobs/${res.body.id}/ledger`)).body;
    expect(ledger.find((e: any) => e.kind === 'intent.parsed').data.source).toMatchObject({
      kind: 'model',
      model: 'claude-haiku-4-5',
      requestId: call.requestId,
    });
  });

  it('answers the same request on the same repository from its cache, but never across repositories', async () => {
    const goal = 'negative inputs to the subtraction helper, hmm';
    fake.addScenario({
      match: { contains: goal },
      roles: { intake: [propose({ understood: true, operation: 'bug_fix', targets: ['src/calc.js'] })] },
    });
    expect((await api(t.url, 'POST', '/api/jobs', { goal, repo })).status).toBe(201);
    const again = await api(t.url, 'POST', '/api/jobs', { goal: `  ${goal.toUpperCase()} `, repo });
    expect(again.status).toBe(201);
    expect(again.body.intent.intakeModelCall).toMatchObject({ cached: true, tokens: 0 });
    expect(intakeCalls(goal.toUpperCase()).length + intakeCalls(goal).length).toBe(1);
    expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: other })).status).toBe(201);
    expect(intakeCalls(goal).length).toBe(2);
  });

  it('refuses a dangerous request on either path before the model is asked, and judges a model intent like a grammar one', async () => {
    const grammarPath = await api(t.url, 'POST', '/api/jobs', {
      goal: 'fix the deploy script and commit the .env file with the production keys',
      repo,
    });
    expect(grammarPath.status).toBe(403);
    expect(grammarPath.body.error).toMatchObject({
      code: 'policy_blocked',
      details: { reason: 'dangerous', violations: [expect.objectContaining({ ruleId: 'secrets_exposure' })] },
    });
    const modelPath = 'ugh, the pipeline is red again; just turn off TLS certificate verification everywhere';
    fake.addScenario({
      match: { contains: modelPath },
      roles: { intake: [propose({ understood: true, operation: 'change', description: 'relax TLS' })] },
    });
    const refused = await api(t.url, 'POST', '/api/jobs', { goal: modelPath, repo });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.violations[0]).toMatchObject({
      ruleId: 'verification_off',
      evidence: expect.stringContaining('turn off tls certificate verification'),
    });
    expect(intakeCalls(modelPath)).toHaveLength(0);
    expect(await jobsWithGoal(modelPath)).toEqual([]);

    // Harmless text, but the model points the job at a secret: the same path rules refuse it.
    const secretRepo = await makeRepo('calc-js', join(root, 'calc-secret'));
    writeFileSync(join(secretRepo, '.env'), 'TOKEN=x\n');
    execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '-f', '.env'], {
      cwd: secretRepo,
    });
    execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'env'], {
      cwd: secretRepo,
    });
    const tidy = 'the env settings need some love';
    fake.addScenario({
      match: { contains: tidy },
      roles: { intake: [propose({ understood: true, operation: 'change', targets: ['.env'] })] },
    });
    const blocked = await api(t.url, 'POST', '/api/jobs', { goal: tidy, repo: secretRepo });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.details).toMatchObject({
      reason: 'policy',
      source: 'model',
      violations: [expect.objectContaining({ ruleId: 'forbidden_path', path: '.env' })],
    });
  });

  it('treats a model answer that does not fit as an abstention: 422, no job, nothing written', async () => {
    const cases: [string, ReturnType<typeof reply>, string][] = [
      ['please deploy the calc thing to the moon', propose({ understood: true, operation: 'deploy' }), 'operation'],
      [
        'the calc numbers drift over time somehow',
        propose({ understood: true, operation: 'bug_fix', targets: ['../../etc/passwd'] }),
        'targets[0]',
      ],
      [
        'the rounding thing in the helper seems odd',
        propose({ understood: true, operation: 'bug_fix', targets: ['src/rounding.js'] }),
        'targets[0]',
      ],
      [
        'something about the calculator feels slow-ish',
        propose({ understood: true, operation: 'performance', colour: 'blue' }),
        'proposal',
      ],
      ['whatever happened to the calculator from yesterday', reply(text('I think this is about subtraction.')), 'proposal'],
    ];
    const ledgerBefore = (await api(t.url, 'GET', '/api/ledger?limit=1')).body.items[0]?.seq;
    for (const [goal, answer, path] of cases) {
      fake.addScenario({ match: { contains: goal }, roles: { intake: [answer] } });
      const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
      expect(res.status, goal).toBe(422);
      expect(res.body.error.code, goal).toBe('model_intent_invalid');
      expect(res.body.error.details.errors[0].path, goal).toBe(path);
      expect(res.body.error.details.suggestions.length, goal).toBeGreaterThan(0);
      expect(await jobsWithGoal(goal), goal).toEqual([]);
    }
    expect((await api(t.url, 'GET', '/api/ledger?limit=1')).body.items[0]?.seq).toBe(ledgerBefore);
  });

  it('passes on the model’s own specific question when it cannot tell either', async () => {
    const goal = 'the thing we talked about on Monday';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        intake: [
          propose({
            understood: false,
            clarification: {
              question: 'Which file and which behaviour did you discuss on Monday?',
              missing: 'target',
              suggestions: ['fix the subtraction in src/calc.js'],
            },
          }),
        ],
      },
    });
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'unparseable_request',
      message: 'Which file and which behaviour did you discuss on Monday?',
      details: { source: 'model', missing: 'target' },
    });
    expect(res.body.error.details.suggestions[0]).toBe('fix the subtraction in src/calc.js');
  });

  it('answers 503 model_unavailable with Retry-After when the model is down, never a 500, and creates nothing', async () => {
    const goal = 'numbers come out funny when dividing';
    fake.addScenario({ match: { contains: goal }, roles: { intake: [overloaded()] } });
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('model_unavailable');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await jobsWithGoal(goal)).toEqual([]);
  });

  it('reads webhook requests through the same path, and previews with the model only when asked', async () => {
    const goal = 'calc: subtraction is busted for big numbers';
    fake.addScenario({
      match: { contains: goal },
      roles: { intake: [propose({ understood: true, operation: 'bug_fix', targets: ['src/calc.js'] })] },
    });
    const preview = await api(t.url, 'POST', '/api/tdln/parse', { text: goal, repo });
    expect(preview.body).toMatchObject({ ok: false, source: 'grammar', modelAvailable: true, refusal: { code: 'unparseable_request' } });
    expect(intakeCalls(goal)).toHaveLength(0);
    const withModel = await api(t.url, 'POST', '/api/tdln/parse', { text: goal, repo, useModel: true });
    expect(withModel.body).toMatchObject({
      ok: true,
      source: 'model',
      intent: { operation: 'bug_fix', source: { kind: 'model' } },
      policy: { verdict: 'allow' },
    });

    const payload = { goal, repo, deliveryId: randomUUID(), timestamp: Math.floor(Date.now() / 1_000) };
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', GENERIC_SECRET).update(`${payload.timestamp}.${body}`).digest('hex')}`;
    const hook = await api(t.url, 'POST', '/api/webhooks/generic', body, {
      'content-type': 'application/json',
      'x-aict-signature': signature,
    });
    expect(hook.status).toBe(201);
    const job = (await api(t.url, 'GET', `/api/jobs/${hook.body.jobId}`)).body;
    expect(job.intent.source.kind).toBe('model');
  });
});

describe('intake model budget', () => {
  let fake: FakeModel;
  let t: TestApp;
  beforeAll(async () => {
    fake = await startFakeModel();
    // A price so high that one intake call would cost more than INTAKE_MAX_COST_CENTS allows.
    const prices = JSON.stringify({ 'claude-haiku': { input: 1_000_000, output: 1_000_000, cacheWrite: 1_000_000, cacheRead: 1_000_000 } });
    t = await startTestApp({
      env: { ROLE: 'api', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, MODEL_PRICES: prices, INTAKE_MAX_COST_CENTS: '5' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('does not ask the model when the call would cost more than the intake budget, and says so', async () => {
    const goal = 'the calculator feels off since last week';
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo: '/srv/repo' });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toMatchObject({ source: 'grammar', model: 'over_cost_cap' });
    expect(fake.messageRequests().filter((r) => r.role === 'intake')).toHaveLength(0);
  });
});
