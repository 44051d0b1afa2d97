import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel } from '../fake-model/fake-model-server';
import { MatchInput, reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { SANDBOX_ENV } from '../support/sandbox';
import { TeamHarness, startTeamHarness } from '../support/team-harness';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const MECHANIC_MODEL = 'claude-haiku-4-5';
const GENIUS_MODEL = 'claude-sonnet-4-6';
const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const ANALYSIS = { summary: 'subtract() adds its arguments.', affectedFiles: ['src/calc.js'], risk: 'low' };
const PLAN = { steps: [{ title: 'Use a - b in subtract', files: ['src/calc.js'] }], testStrategy: 'node --test' };
const builder = [
  reply(toolUse('edit_file', FIX)),
  reply(toolUse('run_tests', {})),
  reply(toolUse('run_lint', {})),
  reply(toolUse('commit_changes', { message: 'Fix subtract' })),
  reply('Fixed subtract in src/calc.js to return a - b; all 3 tests pass.'),
];
const approve = [reply(toolUse('get_diff', {})), reply(toolUse('submit_review', { verdict: 'approve', summary: 'Correct and tested.' }))];
const sendBack = (summary: string) => [
  reply(toolUse('submit_review', { verdict: 'request_changes', summary, comments: [{ path: 'src/calc.js', comment: summary }] })),
];
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * Escalation end to end over HTTP, with the real SDK against the fake Messages API: a mechanic job
 * that reaches a cap, or is sent back by its Reviewer a second time, goes on in genius mode
 * (ESCALATION=auto) or asks a person (ESCALATION=ask), and resumes from its checkpoint — no step it
 * took is taken again. Retry gives a job that stopped at a cap more room and continues it too.
 */
describe('escalation: a mechanic job at a cap or sent back twice goes on in genius mode or asks, and resumes from its checkpoint', () => {
  let harness: TeamHarness;
  let fake: FakeModel;
  let auto: TestApp;
  let ask: TestApp;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    harness = await startTeamHarness('aict-escalation-');
    ({ fake, root } = harness);
    const env = (name: string, escalation: string) => ({
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: fake.url,
      DATA_DIR: join(root, name),
      REVIEW_MAX_ROUNDS: '2',
      ESCALATION: escalation,
      ...SANDBOX_ENV,
    });
    [auto, ask] = await Promise.all([startTestApp({ env: env('auto', 'auto') }), startTestApp({ env: env('ask', 'ask') })]);
  });
  afterAll(async () => {
    await Promise.all([auto?.close(), ask?.close()]);
    await harness?.close();
  });

  const setup = async () => {
    const name = `esc-${++n}`;
    return { repo: await makeRepo('calc-js', join(root, name)), goal: `fix the subtract bug in src/calc.js [${name}]` };
  };
  const has = (input: MatchInput, ...needles: string[]) => needles.every((s) => `${input.system}\n${input.firstUserText}`.includes(s));
  const until = async (t: TestApp, id: string, statuses: string[]) => {
    let last: any;
    try {
      return await waitFor(
        async () => {
          last = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
          return statuses.includes(last.status) ? last : null;
        },
        60_000,
        `job ${id} to be ${statuses.join('/')}`,
      );
    } catch (error) {
      const events = (await api(t.url, 'GET', `/api/events?jobId=${id}&limit=1000`)).body.items.map((e: any) => `${e.type}: ${e.summary}`);
      throw new Error(
        `${(error as Error).message}; last: ${JSON.stringify({ status: last?.status, error: last?.error })}; events: ${events.slice(-15).join(' | ')}`,
        {
          cause: error,
        },
      );
    }
  };
  /** The calls a role made, in order: `tool` or `tool:path`. */
  const callsOf = async (t: TestApp, id: string, role: string) =>
    (await api(t.url, 'GET', `/api/events?jobId=${id}&type=tool_call&limit=1000`)).body.items
      .filter((e: any) => e.role === role)
      .map(
        (e: any) => `${e.data.tool}${e.data.input?.path ? `:${e.data.input.path}` : ''}${e.data.ok ? '' : `!${e.data.result.error.code}`}`,
      );
  /** The model requests a role's conversation made for a goal: which turn, with which model. */
  const requestsOf = (goal: string, role: string, extra?: string) =>
    fake
      .messageRequests()
      .filter(
        (r) => r.role === role && JSON.stringify(r.body?.messages).includes(goal) && (!extra || JSON.stringify(r.body).includes(extra)),
      )
      .map((r) => `${r.turnIndex}:${r.body?.model}`);
  const post = (t: TestApp, path: string, body?: unknown) => api(t.url, 'POST', path, body);
  const ledgerOf = async (t: TestApp, id: string) => (await api(t.url, 'GET', `/api/jobs/${id}/ledger`)).body as any[];

  it('auto: a Planner that used its share goes on in genius mode from the checkpoint, redoing nothing, recorded in the ledger', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [
          reply(toolUse('read_file', { path: 'src/calc.js' })),
          reply(toolUse('search_code', { query: 'subtract' })),
          // The share (2 of the job's 4 steps) is used up before this call runs: the cap stops the turn here.
          reply(toolUse('read_file', { path: 'test/calc.test.js' })),
          reply(toolUse('record_analysis', ANALYSIS)),
          reply(toolUse('create_plan', PLAN)),
        ],
        builder,
        reviewer: approve,
      },
    });
    const created = await api(auto.url, 'POST', '/api/jobs', { goal, repo, mode: 'mechanic', maxSteps: 4 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const job = await until(auto, created.body.id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(job.mode).toBe('genius');
    expect(job.caps).toEqual({ maxSteps: 150, maxTokens: 3_000_000, maxCostCents: 1_500, maxWallMs: 3_600_000 });

    // Every call before the cap ran once; the one the cap stopped ran after the escalation, and nothing twice.
    expect(await callsOf(auto, job.id, 'planner')).toEqual([
      'read_file:src/calc.js',
      'search_code',
      'read_file:test/calc.test.js',
      'record_analysis',
      'create_plan',
    ]);
    expect(requestsOf(goal, 'planner')).toEqual([
      `0:${MECHANIC_MODEL}`,
      `1:${MECHANIC_MODEL}`,
      `2:${MECHANIC_MODEL}`,
      `3:${GENIUS_MODEL}`,
      `4:${GENIUS_MODEL}`,
    ]);
    expect(requestsOf(goal, 'builder').every((r) => r.endsWith(GENIUS_MODEL))).toBe(true);
    expect(git(repo, 'show', `aict/${job.id}:src/calc.js`)).toContain('return a - b;');

    const ledger = await ledgerOf(auto, job.id);
    const escalated = ledger.find((e) => e.kind === 'job.escalated');
    expect(escalated).toMatchObject({
      actor: 'system',
      data: {
        action: 'auto',
        trigger: { kind: 'cap', code: 'step_limit', cap: 'maxSteps', role: 'planner' },
        from: { mode: 'mechanic', caps: { maxSteps: 4 } },
        to: { mode: 'genius', caps: { maxSteps: 150 } },
      },
    });
    expect(ledger.filter((e) => e.kind === 'job.status').map((e) => e.summary)).toContain('running → queued: escalated to genius mode');
    expect((await api(auto.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
    const metrics = (await api(auto.url, 'GET', '/api/metrics')).body;
    expect(metrics.escalationRate).toBeGreaterThan(0);
  });

  it('auto: the Reviewer’s second send-back escalates, and the Builder takes the comments in genius mode', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({ match: { predicate: (i) => has(i, goal, 'Review round 3') }, roles: { reviewer: approve } });
    fake.addScenario({ match: { predicate: (i) => has(i, goal, 'Review round 2') }, roles: { reviewer: sendBack('Check divide too.') } });
    fake.addScenario({
      match: { predicate: (i) => has(i, goal, 'The Reviewer requested changes') },
      roles: { builder: [reply(toolUse('run_tests', {})), reply('Checked the comment against src/calc.js; all 3 tests pass.')] },
    });
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [reply(toolUse('record_analysis', ANALYSIS)), reply(toolUse('create_plan', PLAN))],
        builder,
        reviewer: sendBack('Check multiply.'),
      },
    });
    const id = (await api(auto.url, 'POST', '/api/jobs', { goal, repo, mode: 'mechanic' })).body.id;
    const job = await until(auto, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(job.mode).toBe('genius');
    expect(job.result.reviews.map((r: any) => r.verdict)).toEqual(['request_changes', 'request_changes', 'approve']);
    // The first round back was mechanic; the one after the second send-back is genius.
    expect(requestsOf(goal, 'builder', 'Check multiply.').every((r) => r.endsWith(MECHANIC_MODEL))).toBe(true);
    const third = requestsOf(goal, 'builder', 'Check divide too.');
    expect(third.length).toBeGreaterThan(0);
    expect(third.every((r) => r.endsWith(GENIUS_MODEL))).toBe(true);
    const handoffs = (await api(auto.url, 'GET', `/api/events?jobId=${id}&type=handoff`)).body.items.map(
      (e: any) => `${e.data.from}→${e.data.to}`,
    );
    expect(handoffs).toEqual([
      'planner→builder',
      'builder→reviewer',
      'reviewer→builder',
      'builder→reviewer',
      'reviewer→builder',
      'builder→reviewer',
      'reviewer→quality',
    ]);
    const escalated = (await ledgerOf(auto, id)).find((e) => e.kind === 'job.escalated');
    expect(escalated.data).toMatchObject({ action: 'auto', trigger: { kind: 'review' }, to: { mode: 'genius' } });
  });

  it('retry with a raised cap continues a job that stopped at its cap from the checkpoint, counting what it used', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [
          reply(toolUse('read_file', { path: 'src/calc.js' })),
          reply(toolUse('record_analysis', ANALYSIS)),
          reply(toolUse('create_plan', PLAN)),
        ],
        builder,
        reviewer: approve,
      },
    });
    // A genius job has nothing to escalate to: at its cap it fails, as with ESCALATION=off.
    const id = (await api(auto.url, 'POST', '/api/jobs', { goal, repo, mode: 'genius', maxSteps: 3 })).body.id;
    const failed = await until(auto, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'step_limit' }, usage: { steps: 2 } });

    const over = await api(auto.url, 'POST', `/api/jobs/${id}/retry`, { maxSteps: 1_000 });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('cap_above_maximum');
    const retried = await api(auto.url, 'POST', `/api/jobs/${id}/retry`, { maxSteps: 40 });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ status: 'queued', run: 2, caps: { maxSteps: 40 }, usage: { steps: 2 } });

    const job = await until(auto, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(await callsOf(auto, id, 'planner')).toEqual(['read_file:src/calc.js', 'record_analysis', 'create_plan']);
    expect(requestsOf(goal, 'planner').map((r) => r.split(':')[0])).toEqual(['0', '1', '2']);
    // Planner 3 (2 before the cap), Builder 4, Reviewer 2: the first run's steps still count.
    expect(job.usage.steps).toBe(9);
    const ledger = await ledgerOf(auto, id);
    expect(ledger.find((e) => e.kind === 'job.status' && e.data.from === 'failed')).toMatchObject({
      summary: 'failed → queued: retry from the checkpoint',
      data: { run: 2, resume: true, caps: { maxSteps: 40 } },
    });
    expect(ledger.find((e) => e.kind === 'job.escalated')?.data).toMatchObject({
      action: 'retry',
      trigger: { code: 'step_limit', cap: 'maxSteps' },
      changed: { maxSteps: [3, 40] },
    });
  });

  /** A Planner that uses 2 steps and a Builder whose share (3 of the 5) ends before its commit. */
  const cappedBuilder = (goal: string, finish = reply('Fixed subtract in src/calc.js to return a - b; all 3 tests pass.')) =>
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [reply(toolUse('record_analysis', ANALYSIS)), reply(toolUse('create_plan', PLAN))],
        builder: [...builder.slice(0, 4), finish],
        reviewer: approve,
      },
    });

  it('ask: parks a capped job with a question offering genius mode or a higher cap, then continues in genius mode from the checkpoint', async () => {
    const { repo, goal } = await setup();
    cappedBuilder(goal);
    const id = (await post(ask, '/api/jobs', { goal, repo, mode: 'mechanic', maxSteps: 5 })).body.id;
    const waiting = await until(ask, id, ['waiting_human', 'succeeded', 'failed']);
    expect(waiting.status).toBe('waiting_human');
    expect(waiting.mode).toBe('mechanic');
    expect(waiting.pendingQuestion).toMatchObject({
      kind: 'escalation',
      askedBy: 'budget',
      actions: ['escalate', 'raise_cap', 'reject'],
      data: { trigger: { code: 'step_limit', role: 'builder' }, raise: { cap: 'maxSteps', current: 5, suggested: 10 } },
    });
    expect(waiting.pendingQuestion.question).toMatch(/genius mode .*raise the cap to 10 steps/);
    const [row] = await ask.dataSource.query('SELECT worker_id FROM jobs WHERE id = $1', [id]);
    expect(row.worker_id).toBeNull();

    const wrong = await post(ask, `/api/jobs/${id}/respond`, { action: 'approve' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'invalid_response', details: { allowed: ['escalate', 'raise_cap', 'reject'] } });
    const escalated = await post(ask, `/api/jobs/${id}/respond`, { action: 'escalate' });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(200);
    expect(escalated.body).toMatchObject({
      status: 'queued',
      mode: 'genius',
      caps: { maxSteps: 150 },
      lastResponse: { action: 'escalate', escalation: { mode: 'genius', caps: { maxSteps: 150 } } },
    });

    const job = await until(ask, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(await callsOf(ask, id, 'builder')).toEqual(['edit_file:src/calc.js', 'run_tests', 'run_lint', 'commit_changes']);
    expect(requestsOf(goal, 'builder')).toEqual([
      `0:${MECHANIC_MODEL}`,
      `1:${MECHANIC_MODEL}`,
      `2:${MECHANIC_MODEL}`,
      `3:${MECHANIC_MODEL}`,
      `4:${GENIUS_MODEL}`,
    ]);
    const ledger = await ledgerOf(ask, id);
    expect(ledger.find((e) => e.kind === 'job.escalated')).toMatchObject({
      data: { action: 'escalate', trigger: { code: 'step_limit' }, to: { mode: 'genius' }, via: { channel: 'api' } },
    });
    expect(ledger.find((e) => e.kind === 'job.status' && e.data.from === 'waiting_human').summary).toBe(
      'waiting_human → queued: escalated to genius mode',
    );
  });

  it('ask: raise_cap refuses a raise that is no raise, then continues in mechanic mode with the cap raised', async () => {
    const { repo, goal } = await setup();
    cappedBuilder(goal);
    const id = (await post(ask, '/api/jobs', { goal, repo, mode: 'mechanic', maxSteps: 5 })).body.id;
    await until(ask, id, ['waiting_human']);
    const same = await post(ask, `/api/jobs/${id}/respond`, { action: 'raise_cap', maxSteps: 5 });
    expect(same.status).toBe(400);
    expect(same.body.error.code).toBe('cap_not_raised');
    const tooMuch = await post(ask, `/api/jobs/${id}/respond`, { action: 'raise_cap', maxSteps: 501 });
    expect(tooMuch.body.error.code).toBe('cap_above_maximum');
    expect((await api(ask.url, 'GET', `/api/jobs/${id}`)).body).toMatchObject({ status: 'waiting_human', caps: { maxSteps: 5 } });

    const raised = await post(ask, `/api/jobs/${id}/respond`, { action: 'raise_cap', maxSteps: 12 });
    expect(raised.body).toMatchObject({
      status: 'queued',
      mode: 'mechanic',
      caps: { maxSteps: 12 },
      lastResponse: { action: 'raise_cap' },
    });
    const job = await until(ask, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(await callsOf(ask, id, 'builder')).toEqual(['edit_file:src/calc.js', 'run_tests', 'run_lint', 'commit_changes']);
    expect(requestsOf(goal, 'builder').map((r) => r.split(':')[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(requestsOf(goal, 'builder').every((r) => r.endsWith(MECHANIC_MODEL))).toBe(true);
    expect((await ledgerOf(ask, id)).find((e) => e.kind === 'job.escalated').data).toMatchObject({
      action: 'raise_cap',
      changed: { maxSteps: [5, 12] },
      to: { mode: 'mechanic' },
    });
  });

  it('ask, in chat: a yes is not a choice; "raise to 12 steps" raises the cap and the job goes on', async () => {
    const { repo, goal } = await setup();
    cappedBuilder(goal);
    const conversationId = (await post(ask, '/api/conversations', { title: 'escalation', defaultRepo: repo })).body.id;
    const messages = async () =>
      (await api(ask.url, 'GET', `/api/messages?conversationId=${conversationId}&limit=500`)).body.items as any[];
    const say = async (message: string) => {
      const seen = (await messages()).length;
      expect((await post(ask, '/api/chat', { conversationId, message })).status).toBe(202);
      return waitFor(
        async () => (await messages()).slice(seen).find((m) => m.role === 'assistant' && m.data.update === undefined && !m.data.jobCard),
        30_000,
        `the answer to "${message}"`,
      );
    };
    const id = (await post(ask, '/api/jobs', { goal, repo, mode: 'mechanic', maxSteps: 5, conversationId })).body.id;
    await until(ask, id, ['waiting_human']);
    const posted = await waitFor(async () => (await messages()).find((m) => m.data.update === 'waiting'), 30_000, 'the question in chat');
    expect(posted.content).toMatch(/Reply \*\*escalate\*\* to continue in genius mode, \*\*raise to 10 steps\*\* \(or another figure\)/);

    const yes = await say('yes');
    expect(yes.content).toMatch(/^I did not take that as a decision/);
    expect((await api(ask.url, 'GET', `/api/jobs/${id}`)).body.status).toBe('waiting_human');

    const raised = await say('raise to 12 steps');
    expect(raised.content).toBe(`Job ${id} continues from where it stopped, with its step cap at 12 steps.`);
    const job = await until(ask, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(job.caps.maxSteps).toBe(12);
    expect(job.lastResponse).toMatchObject({ action: 'raise_cap', via: { channel: 'chat', conversationId } });
  });

  it('ask: the Reviewer’s second send-back asks whether to go on in genius mode, and the Builder takes the comments in genius mode', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({ match: { predicate: (i) => has(i, goal, 'Review round 3') }, roles: { reviewer: approve } });
    fake.addScenario({ match: { predicate: (i) => has(i, goal, 'Review round 2') }, roles: { reviewer: sendBack('Check divide too.') } });
    fake.addScenario({
      match: { predicate: (i) => has(i, goal, 'The Reviewer requested changes') },
      roles: { builder: [reply(toolUse('run_tests', {})), reply('Checked the comment against src/calc.js; all 3 tests pass.')] },
    });
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [reply(toolUse('record_analysis', ANALYSIS)), reply(toolUse('create_plan', PLAN))],
        builder,
        reviewer: sendBack('Check multiply.'),
      },
    });
    const id = (await post(ask, '/api/jobs', { goal, repo, mode: 'mechanic' })).body.id;
    const waiting = await until(ask, id, ['waiting_human', 'succeeded', 'failed']);
    expect(waiting.pendingQuestion).toMatchObject({ kind: 'escalation', askedBy: 'reviewer', actions: ['escalate', 'reject'] });
    expect(waiting.pendingQuestion.question).toMatch(/sent the change back a second time: Check divide too\./);
    expect((await post(ask, `/api/jobs/${id}/respond`, { action: 'raise_cap' })).body.error.code).toBe('invalid_response');
    await post(ask, `/api/jobs/${id}/respond`, { action: 'escalate' });
    const job = await until(ask, id, ['succeeded', 'failed', 'aborted', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(job.mode).toBe('genius');
    const third = requestsOf(goal, 'builder', 'Check divide too.');
    expect(third.length).toBeGreaterThan(0);
    expect(third.every((r) => r.endsWith(GENIUS_MODEL))).toBe(true);
  });
});
