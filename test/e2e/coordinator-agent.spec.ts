import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, RecordedRequest, startFakeModel } from '../fake-model/fake-model-server';
import { Turn, reply, text, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

/** Intake finds no work in the message (the way a real model reads a question): the Coordinator takes it. */
const notATask = [
  reply(
    toolUse('propose_intent', { understood: false, clarification: { question: 'What should the team change?', missing: 'operation' } }),
  ),
];
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * The chat Coordinator as an agent, end to end over real HTTP with the real SDK against the fake
 * Messages API: it reads the conversation's repository through a read-only view and cites what it
 * read, delegates work through the jobs' own intake with provenance, cancels only when asked, and
 * stops calling the model at the conversation's budget. No worker runs here: delegated jobs stay
 * queued, only the Coordinator is under test.
 */
describe('the chat Coordinator as an agent', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-coordinator-'));
    chmodSync(root, 0o777);
    repo = await makeRepo('calc-js', join(root, 'calc'));
    t = await startTestApp({
      env: { ROLE: 'api', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, DATA_DIR: join(root, 'data'), CHAT_MAX_TOKENS: '24000' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const driver = () => chatDriver(t, fake, repo);
  const messagesOf = (id: string) => driver().messagesOf(id);
  const conversation = () => driver().conversation();
  const ask = (conversationId: string, message: string) => driver().ask(conversationId, message);
  const script = (message: string, coordinator: Turn[]) => driver().script(message, coordinator);
  const coordinatorCalls = (message: string) => driver().coordinatorCalls(message);
  const eventsOf = (conversationId: string, type: string) => driver().eventsOf(conversationId, type);

  it('answers a question about the repository from the file it read, and cites it', async () => {
    const question = 'what does subtract in src/calc.js return? [agent-1]';
    script(question, [
      reply(toolUse('read_file', { path: 'src/calc.js' })),
      reply(
        toolUse('format_response', {
          answer: 'subtract in src/calc.js returns a + b: it adds instead of subtracting.',
          sources: ['src/calc.js'],
        }),
      ),
    ]);
    const conversationId = await conversation();
    const { answer } = await ask(conversationId, question);

    expect(answer.content).toBe('subtract in src/calc.js returns a + b: it adds instead of subtracting.\n\nSources: src/calc.js');
    expect(answer.data.template).toMatchObject({ id: 'chat_answer', evidence: { 'data.sources[0]': 'src/calc.js' } });
    expect(answer.data.answer).toMatchObject({ sources: ['src/calc.js'], unverifiedPaths: [], read: ['src/calc.js'] });
    // The model saw the file's real text, read from the view.
    const calls = coordinatorCalls(question);
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[1]!.body!.messages)).toContain('return a + b;');
    expect(calls[0]!.body!.tools!.map((tool: any) => tool.name)).toEqual([
      'read_file',
      'list_files',
      'find_files',
      'search_code',
      'get_repo_state',
      'list_jobs',
      'job_status',
      'cancel_job',
      'delegate',
      'ask_user',
      'format_response',
    ]);
    const [read] = await eventsOf(conversationId, 'tool_call');
    expect(read).toMatchObject({ jobId: null, role: 'coordinator', data: { tool: 'read_file', ok: true, input: { path: 'src/calc.js' } } });
    const modelCalls = await eventsOf(conversationId, 'model_call');
    expect(modelCalls.map((e) => e.data.stage).sort()).toEqual(['chat', 'chat', 'intake']);
    // The view is a clone under DATA_DIR/chat-views; the repository itself was not touched.
    const views = join(t.config.dataDir, 'chat-views');
    expect(readdirSync(views).filter((name) => name.startsWith(conversationId))).toHaveLength(1);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'branch', '--list', 'aict/*')).toBe('');
    // The ledger's message entry names the template the answer came from.
    const ledger = (await api(t.url, 'GET', '/api/ledger?kind=message&limit=1000')).body.items.find(
      (e: any) => e.data.messageId === answer.id,
    );
    expect(ledger.data.template).toMatchObject({ id: 'chat_answer', citations: ['data.text', 'data.sources[0]'] });
  });

  it('says which paths of its answer it never saw, by the quality gate’s claimed-paths check', async () => {
    const question = 'is subtract in src/calc.js correct? [agent-2]';
    script(question, [
      reply(toolUse('read_file', { path: 'src/calc.js' })),
      reply(text('No: src/calc.js adds in subtract, and src/ghost.js calls it.')),
    ]);
    const { answer } = await ask(await conversation(), question);
    expect(answer.content).toBe(
      'No: src/calc.js adds in subtract, and src/ghost.js calls it.\n\nSources: src/calc.js\nNot checked against the repository: src/ghost.js',
    );
    expect(answer.data.answer.unverifiedPaths).toEqual(['src/ghost.js']);
  });

  it('delegates work through the jobs’ intake and policy, and the job records where it came from', async () => {
    const question = 'is subtract in src/calc.js right? if not, get it fixed [agent-3]';
    script(question, [
      reply(toolUse('read_file', { path: 'src/calc.js' })),
      reply(toolUse('delegate', { goal: 'fix the subtract bug in src/calc.js' })),
      reply(toolUse('format_response', { answer: 'subtract adds; the team is fixing it.', sources: ['src/calc.js'] })),
    ]);
    const conversationId = await conversation();
    const { answer, messageId, all } = await ask(conversationId, question);
    const card = (await all()).find((m) => m.data.jobCard);
    // One reply, one card: the hand-over and the answer are a single message.
    expect(card.id).toBe(answer.id);
    expect((await all()).filter((m) => m.role === 'assistant' && m.data.update === undefined)).toHaveLength(1);
    expect(card.content).toBe(
      `Handed to the team as job ${card.jobId}: fix the subtract bug in src/calc.js (bug_fix, mechanic mode).\n\n` +
        `subtract adds; the team is fixing it.\n\nSources: src/calc.js, job ${card.jobId}`,
    );
    expect(card.data.cardTemplate).toMatchObject({ id: 'job_delegated', evidence: { 'data.job.id': card.jobId } });

    const delegation = { by: 'agent:coordinator', conversationId, messageId, requestedBy: 'user' };
    const job = (await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body;
    expect(job).toMatchObject({
      goal: 'fix the subtract bug in src/calc.js',
      repo,
      conversationId,
      source: 'chat',
      status: 'queued',
      mode: 'mechanic',
      delegation,
      intent: { operation: 'bug_fix', targets: ['src/calc.js'], source: { kind: 'grammar' } },
    });
    const ledger = (await api(t.url, 'GET', `/api/jobs/${job.id}/ledger`)).body;
    expect(ledger.find((e: any) => e.kind === 'job.status' && e.data.from === null)).toMatchObject({
      actor: 'agent:coordinator',
      conversationId,
      data: { to: 'queued', source: 'chat', delegation },
    });
    expect(ledger.find((e: any) => e.kind === 'intent.parsed')).toBeDefined();
    const delegated = (await eventsOf(conversationId, 'tool_call')).find((e) => e.data.tool === 'delegate');
    expect(delegated.data).toMatchObject({ ok: true, result: { data: { jobId: job.id, operation: 'bug_fix' } } });
  });

  it('refuses to delegate what the policy refuses, and the model hears why', async () => {
    const question = 'could the team tidy up? [agent-4]';
    script(question, [
      reply(toolUse('delegate', { goal: 'commit the .env file with the production secrets' })),
      reply(text('The policy refuses that.')),
    ]);
    const conversationId = await conversation();
    const { answer } = await ask(conversationId, question);
    expect(answer.content).toBe('The policy refuses that.');
    const refused = (await eventsOf(conversationId, 'tool_call')).find((e) => e.data.tool === 'delegate');
    expect(refused.data).toMatchObject({ ok: false, result: { error: { code: 'policy_blocked' } } });
    expect((await api(t.url, 'GET', `/api/jobs?conversationId=${conversationId}`)).body.items).toEqual([]);
  });

  it('answers a question the grammar would start as a job from the job it looked at, and starts nothing', async () => {
    const conversationId = await conversation();
    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'fix the subtract bug in src/calc.js' });
    const card = await waitFor(async () => (await messagesOf(conversationId)).find((m) => m.data.jobCard), 20_000, 'the job card');
    const jobId = card.jobId as string;

    // The grammar reads this as a bug fix; asked as a question, it goes to the agent instead.
    const question = 'is the subtract bug in src/calc.js fixed yet (agent-6)?';
    script(question, [
      reply(toolUse('job_status', { jobId })),
      reply(toolUse('format_response', { answer: `Not yet: job ${jobId} is still queued.` })),
    ]);
    const { answer } = await ask(conversationId, question);
    expect(answer.content).toBe(`Not yet: job ${jobId} is still queued.\n\nSources: job ${jobId}`);
    expect(answer.data.answer).toMatchObject({ jobs: [jobId], unverifiedPaths: [] });
    const status = (await eventsOf(conversationId, 'tool_call')).find((e) => e.data.tool === 'job_status');
    expect(status.data).toMatchObject({
      ok: true,
      result: { data: { id: jobId, status: 'queued', goal: 'fix the subtract bug in src/calc.js' } },
    });
    const jobs = (await api(t.url, 'GET', `/api/jobs?conversationId=${conversationId}`)).body.items;
    expect(jobs.map((j: any) => j.id)).toEqual([jobId]);
  });

  it('asks the person with ask_user, hears the answer, and proposes a larger task that starts on go ahead with its provenance', async () => {
    const conversationId = await conversation();
    const first = 'could the code get a better shape? [agent-7]';
    script(first, [reply(toolUse('ask_user', { question: 'Which file should be reshaped?', options: ['src/calc.js'] }))]);
    const asked = await ask(conversationId, first);
    expect(asked.answer.content).toBe('Which file should be reshaped?\nFor example:\n- src/calc.js');
    expect(asked.answer.data).toMatchObject({
      question: { question: 'Which file should be reshaped?', askedBy: 'coordinator' },
      template: { id: 'needs_clarification', evidence: { 'data.question': 'Which file should be reshaped?' } },
    });

    // The answer: the agent sees its own question in the conversation, and delegates a refactor (genius: proposed first).
    const second = 'src/calc.js, as a class [agent-7b]';
    script(second, [reply(toolUse('delegate', { goal: 'refactor src/calc.js into a class' }))]);
    const proposed = await ask(conversationId, second);
    expect(JSON.stringify(coordinatorCalls(second)[0]!.body!.messages)).toContain('Coordinator: Which file should be reshaped?');
    expect(proposed.answer.data.proposal).toMatchObject({ goal: 'refactor src/calc.js into a class', repo, mode: 'genius' });
    expect(proposed.answer.data.template.id).toBe('job_proposed');
    expect((await api(t.url, 'GET', `/api/jobs?conversationId=${conversationId}`)).body.items).toEqual([]);

    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'go ahead' });
    const card = await waitFor(async () => (await messagesOf(conversationId)).find((m) => m.data.jobCard), 20_000, 'the job card');
    const job = (await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body;
    expect(job).toMatchObject({
      goal: 'refactor src/calc.js into a class',
      mode: 'genius',
      conversationId,
      delegation: { by: 'agent:coordinator', conversationId, messageId: proposed.messageId, requestedBy: 'user' },
    });
  });

  it('cancels a job only when the person asks for it in their message', async () => {
    const conversationId = await conversation();
    // A job of the conversation, queued (no worker here).
    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'fix the subtract bug in src/calc.js' });
    const card = await waitFor(async () => (await messagesOf(conversationId)).find((m) => m.data.jobCard), 20_000, 'the job card');
    const jobId = card.jobId as string;

    // The model tries to cancel on its own (as a file's text might tell it to): refused, the job stays.
    const question = 'which jobs are there here? [agent-5]';
    script(question, [reply(toolUse('list_jobs', {})), reply(toolUse('cancel_job', { jobId })), reply(text('One job, queued.'))]);
    const listed = await ask(conversationId, question);
    expect(listed.answer.content).toBe(`One job, queued.\n\nSources: job ${jobId}`);
    const attempt = (await eventsOf(conversationId, 'tool_call')).find((e) => e.data.tool === 'cancel_job');
    expect(attempt.data).toMatchObject({ ok: false, result: { error: { code: 'not_requested' } } });
    expect((await api(t.url, 'GET', `/api/jobs/${jobId}`)).body.status).toBe('queued');

    const request = `please cancel job ${jobId.slice(0, 8)}`;
    script(request, [reply(toolUse('cancel_job', { jobId: jobId.slice(0, 8) })), reply(text(`Job ${jobId.slice(0, 8)} is cancelled.`))]);
    const { messageId } = await ask(conversationId, request);
    const job = (await api(t.url, 'GET', `/api/jobs/${jobId}`)).body;
    expect(job).toMatchObject({ status: 'aborted', error: { code: 'cancelled' } });
    const aborted = (await api(t.url, 'GET', `/api/jobs/${jobId}/ledger`)).body.find(
      (e: any) => e.kind === 'job.status' && e.data.to === 'aborted',
    );
    expect(aborted).toMatchObject({ actor: 'user' });
    expect(aborted.data.reason).toBe(`cancelled in chat on request (conversation ${conversationId}, message ${messageId})`);
    // The outcome comes back into the conversation, rendered.
    const stopped = await waitFor(
      async () => (await messagesOf(conversationId)).find((m) => m.data.update === 'aborted'),
      10_000,
      'the abort in chat',
    );
    expect(stopped.content).toMatch(new RegExp(`^Job ${jobId} was stopped \\(cancelled in chat on request`));
    expect(stopped.data.template.id).toBe('job_aborted');
  });
});

/** Talking to the Coordinator of a test app, with the fake model scripted per message. */
function chatDriver(t: TestApp, fake: FakeModel, repo: string) {
  const messagesOf = async (id: string) => (await api(t.url, 'GET', `/api/messages?conversationId=${id}&limit=500`)).body.items as any[];
  return {
    messagesOf,
    conversation: async () => (await api(t.url, 'POST', '/api/conversations', { title: 'agent', defaultRepo: repo })).body.id as string,
    /** Sends a message and waits for the Coordinator's own answer to it (not job cards or updates). */
    ask: async (conversationId: string, message: string) => {
      const seen = (await messagesOf(conversationId)).length;
      expect((await api(t.url, 'POST', '/api/chat', { conversationId, message })).status).toBe(202);
      const answer = await waitFor(
        async () =>
          (await messagesOf(conversationId))
            .slice(seen)
            .find((m) => m.role === 'assistant' && m.data.update === undefined && m.data.template?.id !== 'job_delegated'),
        20_000,
        `the answer to "${message}"`,
      );
      const mine = (await messagesOf(conversationId)).slice(seen).find((m) => m.role === 'user');
      return { answer, messageId: mine.id as string, all: async () => (await messagesOf(conversationId)).slice(seen) };
    },
    /** A scenario for one message: its intake reading and the Coordinator's turns. */
    script: (message: string, coordinator: Turn[]) =>
      fake.addScenario({
        name: message,
        match: { predicate: ({ firstUserText }) => firstUserText.includes(`<<<\n${message}\n>>>`) },
        roles: { intake: notATask, coordinator },
      }),
    coordinatorCalls: (message: string): RecordedRequest[] =>
      fake.messageRequests().filter((r) => r.role === 'coordinator' && JSON.stringify(r.body).includes(message)),
    eventsOf: async (conversationId: string, type: string) =>
      (await api(t.url, 'GET', `/api/events?conversationId=${conversationId}&type=${type}&limit=500`)).body.items as any[],
  };
}

/**
 * The budget holds the agent: each of its model calls reserves its estimate on the conversation
 * first, so a model that never stops is stopped at CHAT_MAX_TOKENS (9,000 here), not at the
 * per-message limit of model calls, and nothing more is asked in that conversation.
 */
describe('the chat Coordinator under its conversation budget', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-coordinator-budget-'));
    chmodSync(root, 0o777);
    repo = await makeRepo('calc-js', join(root, 'calc'));
    t = await startTestApp({
      env: { ROLE: 'api', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, DATA_DIR: join(root, 'data'), CHAT_MAX_TOKENS: '9000' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('stops calling the model once the conversation’s budget would be passed, and says so', async () => {
    const chat = chatDriver(t, fake, repo);
    const question = 'what is in this repository, file by file? [budget-1]';
    // A model that never stops looking, and says a lot each time: only the budget ends it.
    chat.script(
      question,
      Array.from({ length: 8 }, (_, i) =>
        reply(text(`Looking further (${i}). ${'Still looking at the files. '.repeat(70)}`), toolUse('list_files', {})),
      ),
    );
    const conversationId = await chat.conversation();
    const { answer } = await chat.ask(conversationId, question);
    expect(answer.data.budget).toMatchObject({ exhausted: true, maxTokens: 9_000 });
    expect(answer.content).toMatch(/^This conversation has used its model budget .* so I will not ask the model again here/);
    expect(answer.data.template.id).toBe('chat_budget_exhausted');
    const calls = chat.coordinatorCalls(question);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.length).toBeLessThan(8);
    const spend = ((await api(t.url, 'GET', '/api/conversations?limit=500')).body.items as any[]).find(
      (c) => c.id === conversationId,
    ).spend;
    // The intake reading and every call the agent made are charged, and nothing past the cap.
    expect(spend.modelCalls).toBe(calls.length + 1);
    expect(spend.tokens).toBeLessThanOrEqual(9_000);
    expect((await chat.eventsOf(conversationId, 'tool_call')).length).toBe(calls.length);
    // Nothing more is asked in this conversation.
    const again = 'and what about the tests? [budget-2]';
    chat.script(again, [reply(text('never said'))]);
    const refused = await chat.ask(conversationId, again);
    expect(refused.answer.data.budget).toMatchObject({ exhausted: true });
    expect(chat.coordinatorCalls(again)).toEqual([]);
  });
});

/** Without a model, chat is what it was: the grammar, the policy and fixed texts; no agent, no tool, no model call. */
describe('the chat Coordinator without a model', () => {
  let t: TestApp;
  let root: string;
  let repo: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'aict-coordinator-nomodel-'));
    chmodSync(root, 0o777);
    repo = await makeRepo('calc-js', join(root, 'calc'));
    t = await startTestApp({ env: { ROLE: 'api', DATA_DIR: join(root, 'data') } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('asks the grammar’s question for what it cannot read, starts what it can, and reports status', async () => {
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'no model', defaultRepo: repo })).body.id;
    const messages = async () => (await api(t.url, 'GET', `/api/messages?conversationId=${conversationId}&limit=500`)).body.items as any[];
    const say = async (message: string) => {
      const seen = (await messages()).length;
      await api(t.url, 'POST', '/api/chat', { conversationId, message });
      return waitFor(async () => (await messages()).slice(seen).find((m) => m.role === 'assistant'), 20_000, `the answer to ${message}`);
    };

    const unclear = await say('what does subtract in src/calc.js return?');
    expect(unclear.data.clarification).toMatchObject({ source: 'grammar' });
    expect(unclear.data.template.id).toBe('needs_clarification');
    expect(unclear.content).toMatch(/\nFor example:\n- /);

    const status = await say('status');
    expect(status.content).toBe(
      'There is no job in this conversation yet. Tell me what to do, for example "fix the failing test in src/auth.ts".',
    );

    const card = await say('fix the subtract bug in src/calc.js');
    expect(card.content).toBe(
      `Started job ${card.jobId}: fix the subtract bug in src/calc.js (bug_fix, mechanic mode). Targets: src/calc.js.`,
    );
    const progress = await say('status?');
    expect(progress.content).toBe(`Job ${card.jobId} is queued (0 of 60 tool calls used).`);
    expect(progress.data.template).toMatchObject({ id: 'job_progress', evidence: { 'data.job.id': card.jobId, 'data.status': 'queued' } });
    // Nothing reached for a model, and no view of the repository was made.
    expect((await api(t.url, 'GET', `/api/events?conversationId=${conversationId}&type=model_call`)).body.items).toEqual([]);
    expect((await api(t.url, 'GET', `/api/events?conversationId=${conversationId}&type=tool_call`)).body.items).toEqual([]);
    expect(existsSync(join(t.config.dataDir, 'chat-views'))).toBe(false);
  });
});
