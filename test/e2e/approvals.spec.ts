import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { SANDBOX_ENV } from '../support/sandbox';
import { TeamHarness, startTeamHarness } from '../support/team-harness';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const ADMIN = 'bootstrap-admin-token-for-approvals-01';
const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
/** A team whose Builder claims a file it never touched or read: the quality gate BLOCKs and asks a person. */
const blockedTeam = {
  planner: [
    reply(toolUse('read_file', { path: 'src/calc.js' })),
    reply(toolUse('record_analysis', { summary: 'subtract adds', affectedFiles: ['src/calc.js'], risk: 'low' })),
    reply(toolUse('create_plan', { steps: [{ title: 'fix subtract', files: ['src/calc.js'] }] })),
  ],
  builder: [
    reply(toolUse('edit_file', FIX)),
    reply(toolUse('run_tests', {})),
    reply(toolUse('commit_changes', { message: 'Fix subtract' })),
    reply('Fixed subtract in src/calc.js and updated src/helpers.js to match; 3 tests pass.'),
  ],
  reviewer: [reply(toolUse('submit_review', { verdict: 'approve', summary: 'Good.' }))],
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * Approvals mean approval: over real HTTP, with access control on and the team really parked at the
 * quality gate, an `answer` is not an approval, chat small talk and hedged yeses approve nothing, a
 * new task typed meanwhile becomes a new job, and every decision records who gave it.
 */
describe('approvals at the quality gate, over the API and in chat', () => {
  let harness: TeamHarness;
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let writer: { token: string; prefix: string };
  let n = 0;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    harness = await startTeamHarness('aict-approvals-');
    ({ fake, root } = harness);
    t = await startTestApp({
      env: {
        AUTH: 'on',
        AUTH_BOOTSTRAP_TOKEN: ADMIN,
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data'),
        ...SANDBOX_ENV,
      },
    });
    writer = (await api(t.url, 'POST', '/api/tokens', { name: 'reviewer-alice', scopes: ['write'] }, as(ADMIN))).body;
  });
  afterAll(async () => {
    await t?.close();
    await harness?.close();
  });

  const call = (method: string, path: string, body?: unknown) => api(t.url, method, path, body, as(writer.token));
  const jobOf = async (id: string) => (await call('GET', `/api/jobs/${id}`)).body;
  const until = (id: string, done: (job: any) => boolean, what: string) =>
    waitFor(
      async () => {
        const job = await jobOf(id);
        return done(job) ? job : null;
      },
      60_000,
      what,
    );
  const atQualityGate = (id: string) =>
    until(id, (j) => j.status !== 'queued' && j.status !== 'running', `job ${id} to stop at the quality gate`).then((job) => {
      expect(job.status, JSON.stringify(job.error)).toBe('waiting_human');
      expect(job.pendingQuestion).toMatchObject({ kind: 'approval', askedBy: 'quality gate', actions: ['approve', 'reject'] });
      return job;
    });
  const record = async (id: string) => ({
    job: await jobOf(id),
    ledger: (await call('GET', `/api/jobs/${id}/ledger`)).body,
    events: (await call('GET', `/api/events?jobId=${id}&limit=1000`)).body.items,
  });
  const setup = async () => {
    const name = `approvals-${++n}`;
    const repo = await makeRepo('calc-js', join(root, name));
    const goal = `fix the subtract bug in src/calc.js [${name}]`;
    fake.addScenario({ match: { contains: goal }, roles: blockedTeam });
    return { repo, goal };
  };

  it('refuses an answer to an approval with 400 invalid_response and changes nothing, then records who approved', async () => {
    const { repo, goal } = await setup();
    const id = (await call('POST', '/api/jobs', { goal, repo })).body.id;
    await atQualityGate(id);
    const before = await record(id);

    for (const body of [
      { action: 'answer', answer: 'looks fine to me' },
      { action: 'answer', answer: 'yes' },
    ]) {
      const refused = await call('POST', `/api/jobs/${id}/respond`, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'invalid_response',
        details: { action: 'answer', allowed: ['approve', 'reject'], question: { kind: 'approval' } },
      });
      expect(refused.body.error.message).toMatch(/takes approve or reject, not answer/);
    }
    // Nothing changed: status, question, ledger and events are as they were.
    const after = await record(id);
    expect(after.job).toEqual(before.job);
    expect(after.ledger).toEqual(before.ledger);
    expect(after.events.map((e: any) => e.id)).toEqual(before.events.map((e: any) => e.id));
    expect(() => git(repo, 'rev-parse', '--verify', '--quiet', `aict/${id}`)).toThrow();

    const approved = await call('POST', `/api/jobs/${id}/respond`, { action: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body.lastResponse).toMatchObject({
      action: 'approve',
      by: `token:${writer.prefix}`,
      via: { channel: 'api', auth: 'bearer' },
      question: { kind: 'approval', askedBy: 'quality gate' },
    });
    const done = await until(id, (j) => ['succeeded', 'failed', 'aborted'].includes(j.status), 'the approved job to finish');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const ledger = (await call('GET', `/api/jobs/${id}/ledger`)).body;
    const resumed = ledger.find((e: any) => e.kind === 'job.status' && e.data.from === 'waiting_human');
    expect(resumed).toMatchObject({
      actor: `token:${writer.prefix}`,
      data: { to: 'queued', reason: 'approved', questionKind: 'approval', response: { action: 'approve', by: `token:${writer.prefix}` } },
    });
    const handoff = ledger.find((e: any) => e.kind === 'pipeline.handoff' && e.data.from === 'quality');
    expect(handoff.data).toMatchObject({ approvedBy: `token:${writer.prefix}`, via: { channel: 'api' } });
  });

  it('commits and pushes a change whose tests fail once a person approves it at the quality gate, recording who approved and which checks failed', async () => {
    const name = `approvals-${++n}`;
    const repo = await makeRepo('calc-js', join(root, name));
    const goal = `fix the subtract bug in src/calc.js [${name}]`;
    // The Builder's edit leaves the tests red: commit_changes refuses, the quality gate blocks on the tests.
    const wrong = { ...FIX, newText: 'function subtract(a, b) {\n  return b - a;' };
    fake.addScenario({
      match: { contains: goal },
      roles: {
        ...blockedTeam,
        builder: [
          reply(toolUse('edit_file', wrong)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Fixed subtract; tests pass.'),
        ],
      },
    });
    const id = (await call('POST', '/api/jobs', { goal, repo })).body.id;
    const parked = await atQualityGate(id);
    expect(parked.pendingQuestion.data.quality.failing).toContain('tests');
    // The question carries what a person decides on: the failing tests with their output, the review, the diff.
    const evidence = parked.pendingQuestion.data.evidence;
    expect(evidence).toMatchObject({
      committed: false,
      onApprove: 'commit_and_push',
      builderSummary: 'Fixed subtract; tests pass.',
      reviews: [{ verdict: 'approve' }],
    });
    expect(evidence.tests.failed).toBeGreaterThan(0);
    expect(evidence.tests.failures[0]?.name, JSON.stringify(evidence.tests)).toBeTruthy();
    expect(evidence.tests.outputTail).toMatch(/fail/i);
    const pendingDiff = await fetch(`${t.url}/api/jobs/${id}/diff`, { headers: as(writer.token) });
    expect(pendingDiff.headers.get('x-aict-diff')).toBe('pending');
    expect(await pendingDiff.text()).toContain('+  return b - a;');
    expect(() => git(repo, 'rev-parse', '--verify', '--quiet', `aict/${id}`)).toThrow();

    // The board says what the question is about; the routine "started" item is there, quiet and read.
    const notes = async () => ((await call('GET', '/api/notifications?limit=500')).body.items as any[]).filter((x) => x.jobId === id);
    const attention = await waitFor(async () => (await notes()).find((x) => x.kind === 'needs_attention'), 10_000, 'the attention item');
    expect(attention).toMatchObject({ read: false, routine: false, context: { goal, repo } });
    expect((await notes()).find((x) => x.kind === 'job_started')).toMatchObject({ read: true, routine: true, context: { goal, repo } });

    expect((await call('POST', `/api/jobs/${id}/respond`, { action: 'approve' })).status).toBe(200);
    const done = await until(id, (j) => ['succeeded', 'failed', 'aborted'].includes(j.status), 'the approved job to finish');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.result).toMatchObject({ pushed: true, branch: `aict/${id}` });
    // The Builder's "tests pass" is contradicted by the run: flagged by the gate, attributed in the answer, never repeated as fact.
    expect(done.result.quality.failing).toEqual(expect.arrayContaining(['tests', 'claimed_tests']));
    expect(done.result.answer.text).toContain(
      'the Builder wrote “Fixed subtract; tests pass.”, but the test run says otherwise (1 failed, 2 passed)',
    );
    expect(done.result.answer.text).toContain('Tests: 2 passed, 1 failed.');
    // Answered is handled: the attention item is read now.
    await waitFor(async () => (await notes()).find((x) => x.kind === 'needs_attention')?.read === true, 10_000, 'the handled item read');
    // What was pushed is the approved change, and its commit says who approved it past which failing checks.
    expect(git(repo, 'show', `aict/${id}:src/calc.js`)).toContain('return b - a;');
    const message = git(repo, 'log', '-1', '--format=%B', `aict/${id}`);
    expect(message).toContain(`AICT-Approved-By: token:${writer.prefix}`);
    expect(message).toMatch(/AICT-Failing-Checks: .*tests/);
    expect(done.result.commit).toBe(git(repo, 'rev-parse', `aict/${id}`));
    // The commit went through the policy gate like any commit, and the approval is on the ledger.
    const ledger = (await call('GET', `/api/jobs/${id}/ledger`)).body;
    const commit = ledger.find((e: any) => e.kind === 'pipeline.approved_commit');
    expect(commit.data).toMatchObject({ approvedBy: `token:${writer.prefix}`, sha: expect.any(String) });
    expect(commit.data.failing).toContain('tests');
    expect(ledger.some((e: any) => e.kind === 'policy.decision' && e.data.action?.kind === 'commit')).toBe(true);
  });

  it('commits a change with red tests that a person approves past the Reviewer’s last word, naming the review and the tests as failing', async () => {
    // No rounds: the Reviewer's first request for changes is its last word, and a person decides.
    const strict = await startTestApp({
      env: {
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data-review'),
        REVIEW_MAX_ROUNDS: '0',
        ...SANDBOX_ENV,
      },
    });
    try {
      const name = `approvals-${++n}`;
      const repo = await makeRepo('calc-js', join(root, name));
      const goal = `fix the subtract bug in src/calc.js [${name}]`;
      fake.addScenario({
        match: { contains: goal },
        roles: {
          ...blockedTeam,
          builder: [
            reply(toolUse('edit_file', { ...FIX, newText: 'function subtract(a, b) {\n  return b - a;' })),
            reply(toolUse('run_tests', {})),
            reply('Changed subtract.'),
          ],
          reviewer: [reply(toolUse('submit_review', { verdict: 'request_changes', summary: 'Operands are swapped.' }))],
        },
      });
      const id = (await api(strict.url, 'POST', '/api/jobs', { goal, repo })).body.id;
      const job = async () => (await api(strict.url, 'GET', `/api/jobs/${id}`)).body;
      const parked = await waitFor(async () => ((await job()).status === 'waiting_human' ? job() : null), 60_000, 'the review gate');
      expect(parked.pendingQuestion).toMatchObject({ kind: 'approval', askedBy: 'reviewer' });
      expect(parked.pendingQuestion.data.evidence).toMatchObject({ onApprove: 'commit_and_push', tests: { green: false } });
      expect((await api(strict.url, 'POST', `/api/jobs/${id}/respond`, { action: 'approve' })).status).toBe(200);
      // The quality gate then asks about the same red tests; approved again, the job publishes.
      const again = await waitFor(
        async () => {
          const j = await job();
          return j.status === 'waiting_human' || ['succeeded', 'failed', 'aborted'].includes(j.status) ? j : null;
        },
        60_000,
        'the next stop',
      );
      if (again.status === 'waiting_human') {
        expect(again.pendingQuestion.askedBy).toBe('quality gate');
        expect(again.pendingQuestion.data.evidence.onApprove).toBe('push');
        expect((await api(strict.url, 'POST', `/api/jobs/${id}/respond`, { action: 'approve' })).status).toBe(200);
      }
      const done = await waitFor(
        async () => ((await job()).status === 'succeeded' || (await job()).status === 'failed' ? job() : null),
        60_000,
        'the job to end',
      );
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      const message = git(repo, 'log', '-2', '--format=%B', `aict/${id}`);
      expect(message).toMatch(/AICT-Failing-Checks: tests, review/);
      expect(git(repo, 'show', `aict/${id}:src/calc.js`)).toContain('return b - a;');
    } finally {
      await strict.close();
    }
  });

  it('marks every notification read at once, and announces each on the live board', async () => {
    const { repo, goal } = await setup();
    const id = (await call('POST', '/api/jobs', { goal, repo })).body.id;
    await atQualityGate(id);
    await waitFor(async () => (await call('GET', '/api/notifications')).body.unreadCount > 0, 10_000, 'an unread notification');
    const all = await call('POST', '/api/notifications/read-all');
    expect(all.status).toBe(200);
    expect(all.body.updated).toBeGreaterThan(0);
    expect((await call('GET', '/api/notifications')).body.unreadCount).toBe(0);
    const announced = (await call('GET', '/api/events?type=notification&limit=1000')).body.items.filter(
      (e: any) => e.data.jobId === id && e.data.read === true && e.data.kind === 'needs_attention',
    );
    expect(announced).toHaveLength(1);
    expect((await call('POST', `/api/jobs/${id}/respond`, { action: 'reject' })).status).toBe(200);
  });

  it('records who rejected, and ends the job without publishing', async () => {
    const { repo, goal } = await setup();
    const id = (await call('POST', '/api/jobs', { goal, repo })).body.id;
    await atQualityGate(id);
    const rejected = await call('POST', `/api/jobs/${id}/respond`, { action: 'reject' });
    expect(rejected.body).toMatchObject({
      status: 'aborted',
      error: { code: 'rejected' },
      lastResponse: { action: 'reject', by: `token:${writer.prefix}` },
    });
    const entry = (await call('GET', `/api/jobs/${id}/ledger`)).body.find((e: any) => e.kind === 'job.status' && e.data.to === 'aborted');
    expect(entry).toMatchObject({ actor: `token:${writer.prefix}`, data: { reason: 'rejected', response: { action: 'reject' } } });
    expect(() => git(repo, 'rev-parse', '--verify', '--quiet', `aict/${id}`)).toThrow();
  });

  it('in chat, answers "how is it going" with the status, reminds on a hedged yes, starts a new task as a new job, and approves only on an unmistakable yes', async () => {
    const { repo, goal } = await setup();
    const next = `fix the multiply bug in src/calc.js [approvals-${n}-next]`;
    // The new task asks a question of its own and waits: it must not take the approval meant for the first job.
    fake.addScenario({ match: { contains: next }, roles: { planner: [reply(toolUse('ask_user', { question: 'Which multiply?' }))] } });
    const conversationId = (await call('POST', '/api/conversations', { title: 'approvals', defaultRepo: repo })).body.id;
    const messages = async () => (await call('GET', `/api/messages?conversationId=${conversationId}&limit=500`)).body.items as any[];
    const say = async (message: string) => {
      const seen = (await messages()).length;
      expect((await call('POST', '/api/chat', { conversationId, message })).status).toBe(202);
      // The Coordinator's answer to this message (job updates may come in between).
      return waitFor(
        async () => (await messages()).slice(seen).find((m) => m.role === 'assistant' && m.data.update === undefined && !m.data.jobCard),
        30_000,
        `the answer to "${message}"`,
      );
    };

    await call('POST', '/api/chat', { conversationId, message: goal });
    const card = await waitFor(async () => (await messages()).find((m) => m.data.jobCard), 30_000, 'the job card');
    const id = card.jobId;
    await atQualityGate(id);

    const status = await say("how's it going?");
    expect(status.data.progress).toEqual({ status: 'waiting_human' });
    expect(status.content).toMatch(new RegExp(`Job ${id} is waiting for your approval: The quality gate blocked the result`));
    expect(status.content).toMatch(/Reply \*\*approve\*\* or \*\*reject\*\*/);

    const hedged = await say('yes but first tell me why it failed');
    expect(hedged.data.reminder).toMatchObject({ jobIds: [id], actions: ['approve', 'reject'] });
    expect(hedged.content).toMatch(/^I did not take that as a decision/);

    // Still parked: nothing was published.
    let job = await jobOf(id);
    expect(job).toMatchObject({ status: 'waiting_human', result: null, lastResponse: null });
    expect(job.pendingQuestion.askedBy).toBe('quality gate');
    expect(() => git(repo, 'rev-parse', '--verify', '--quiet', `aict/${id}`)).toThrow();

    await call('POST', '/api/chat', { conversationId, message: next });
    const newCard = await waitFor(
      async () => (await messages()).find((m) => m.data.jobCard && m.jobId !== id),
      30_000,
      'the new job’s card',
    );
    const newJob = await jobOf(newCard.jobId);
    expect(newJob).toMatchObject({ goal: next, conversationId, source: 'chat' });
    expect((await jobOf(id)).status).toBe('waiting_human');
    const creation = (await call('GET', `/api/jobs/${newJob.id}/ledger`)).body.find(
      (e: any) => e.kind === 'job.status' && e.data.from === null,
    );
    expect(creation.actor).toBe(`token:${writer.prefix}`);

    const approval = await say('lgtm');
    expect(approval.content).toBe(`Thanks — job ${id} resumes with your approval.`);
    job = await until(id, (j) => ['succeeded', 'failed', 'aborted'].includes(j.status), 'the job approved in chat to finish');
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const userMessage = (await messages()).find((m) => m.role === 'user' && m.content === 'lgtm');
    expect(job.lastResponse).toMatchObject({
      action: 'approve',
      by: `token:${writer.prefix}`,
      via: { channel: 'chat', auth: 'bearer', conversationId, messageId: userMessage.id },
    });
    const resumed = (await call('GET', `/api/jobs/${id}/ledger`)).body.find(
      (e: any) => e.kind === 'job.status' && e.data.from === 'waiting_human',
    );
    expect(resumed).toMatchObject({ actor: `token:${writer.prefix}`, data: { response: { via: { channel: 'chat', conversationId } } } });
    // The other job's question is still waiting for its own answer.
    expect((await jobOf(newJob.id)).lastResponse).toBeNull();
  });
});
