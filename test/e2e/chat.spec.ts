import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel } from '../fake-model/fake-model-server';
import { reply, text, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TeamHarness, startTeamHarness } from '../support/team-harness';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';
import { SseClient } from '../support/sse-client';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const team = (planQuestion?: string) => ({
  planner: [
    ...(planQuestion ? [reply(toolUse('request_human_review', { question: planQuestion, kind: 'question' }))] : []),
    reply(toolUse('record_analysis', { summary: 'subtract adds', affectedFiles: ['src/calc.js'], risk: 'low' })),
    reply(toolUse('create_plan', { steps: [{ title: 'fix subtract', files: ['src/calc.js'] }] })),
  ],
  builder: [
    reply(toolUse('edit_file', FIX)),
    reply(toolUse('run_tests', {})),
    reply(toolUse('run_lint', {})),
    reply(toolUse('commit_changes', { message: 'Fix subtract' })),
    reply('Fixed subtract; tests pass.'),
  ],
  reviewer: [reply(toolUse('submit_review', { verdict: 'approve', summary: 'Good.' }))],
});

describe('chat with the team', () => {
  let harness: TeamHarness;
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    harness = await startTeamHarness('aict-chat-');
    ({ fake, root } = harness);
    t = await startTestApp({ env: harness.env() });
  });
  afterAll(async () => {
    await t?.close();
    await harness?.close();
  });

  const messagesOf = async (conversationId: string) =>
    (await api(t.url, 'GET', `/api/messages?conversationId=${conversationId}`)).body.items as {
      role: string;
      content: string;
      jobId: string | null;
      data: any;
    }[];
  const untilMessage = (
    conversationId: string,
    predicate: (m: { role: string; content: string; jobId: string | null; data: any }) => boolean,
    what: string,
  ) => waitFor(async () => (await messagesOf(conversationId)).find(predicate), 40_000, what);

  it('turns a task into a job linked to the conversation, streams the status, and brings the outcome back', async () => {
    const repo = await makeRepo('calc-js', join(root, `chat-${++n}`));
    const goal = `fix the subtract bug in src/calc.js [chat-${n}]`;
    fake.addScenario({ match: { contains: goal }, roles: team() });
    const conversation = (await api(t.url, 'POST', '/api/conversations', { title: 'calc', defaultRepo: repo })).body;
    const stream = new SseClient(`${t.url}/api/chat/stream?conversationId=${conversation.id}`);
    await stream.until((m) => m.some((x) => x.event === 'snapshot'));

    const sent = await api(t.url, 'POST', '/api/chat', { conversationId: conversation.id, message: goal });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ conversationId: conversation.id, messageId: expect.any(String) });

    const card = await untilMessage(conversation.id, (m) => m.role === 'assistant' && !!m.data.jobCard, 'the job card');
    const job = (await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body;
    expect(job).toMatchObject({ conversationId: conversation.id, source: 'chat', mode: 'mechanic' });
    const outcome = await untilMessage(conversation.id, (m) => m.role === 'assistant' && m.data.update === 'succeeded', 'the outcome');
    expect(outcome.content).toMatch(/succeeded[\s\S]*Tests: 3 passed/);
    expect(outcome.jobId).toBe(job.id);

    await stream.until((m) => m.some((x) => x.event === 'message' && x.data.data?.update === 'succeeded'));
    await stream.until((m) => m.filter((x) => x.event === 'status').at(-1)?.data.state === 'idle');
    const states = stream.messages.filter((m) => m.event === 'status').map((m) => m.data.state);
    expect(states).toEqual(expect.arrayContaining(['thinking', 'queueing', 'working', 'idle']));
    expect(stream.messages.filter((m) => m.event === 'message').map((m) => m.data.role)).toEqual(
      expect.arrayContaining(['user', 'assistant']),
    );
    stream.close();
    const ledger = (await api(t.url, 'GET', `/api/ledger?kind=message&limit=1000`)).body.items.filter(
      (e: any) => e.conversationId === conversation.id,
    );
    expect(ledger.length).toBe((await messagesOf(conversation.id)).length);
  });

  it('answers a question without creating a job', async () => {
    fake.addScenario({
      match: { contains: 'what does the ledger do' },
      roles: {
        // Intake finds no work in it; the Coordinator then answers as a conversation.
        intake: [
          reply(
            toolUse('propose_intent', {
              understood: false,
              clarification: { question: 'What should the team change?', missing: 'operation' },
            }),
          ),
        ],
        coordinator: [reply(text('It records every state change in a hash chain you can verify.'))],
      },
    });
    const sent = await api(t.url, 'POST', '/api/chat', { message: 'what does the ledger do?' });
    const answer = await untilMessage(sent.body.conversationId, (m) => m.role === 'assistant', 'an answer');
    expect(answer.content).toBe('It records every state change in a hash chain you can verify.');
    expect((await api(t.url, 'GET', `/api/jobs?conversationId=${sent.body.conversationId}`)).body.items).toEqual([]);
  });

  it('answers an unclear request with the model’s specific question and rephrasings', async () => {
    fake.addScenario({
      match: { contains: 'Request:\n<<<\nfix it\n>>>' },
      roles: {
        intake: [
          reply(
            toolUse('propose_intent', {
              understood: false,
              clarification: {
                question: 'Which file is broken, and what does it do wrong?',
                missing: 'target',
                suggestions: ['fix the subtraction in src/calc.js'],
              },
            }),
          ),
        ],
      },
    });
    const sent = await api(t.url, 'POST', '/api/chat', { message: 'fix it' });
    const answer = await untilMessage(sent.body.conversationId, (m) => m.role === 'assistant', 'a clarifying question');
    expect(answer.data.clarification).toMatchObject({ reason: 'too_vague', missing: 'target', source: 'model' });
    expect(answer.content).toMatch(/Which file is broken, and what does it do wrong\?/);
    expect(answer.content).toMatch(/For example:[\s\S]*fix the subtraction in src\/calc\.js/);
    expect((await api(t.url, 'GET', `/api/jobs?conversationId=${sent.body.conversationId}`)).body.items).toEqual([]);
  });

  it('asks for the repository when none is known, starts the task once it is named, and lets a chat answer resume a waiting job', async () => {
    const repo = await makeRepo('calc-js', join(root, `chat-${++n}`));
    const goal = `fix the subtract bug in src/calc.js [chat-${n}]`;
    fake.addScenario({ match: { contains: goal }, roles: team('Should negative results be allowed?') });
    const first = await api(t.url, 'POST', '/api/chat', { message: goal });
    const conversationId = first.body.conversationId;
    await untilMessage(conversationId, (m) => m.role === 'assistant' && !!m.data.pendingTask, 'the repository question');
    await api(t.url, 'POST', '/api/chat', { conversationId, message: `it is in ${repo}` });
    const card = await untilMessage(conversationId, (m) => m.role === 'assistant' && !!m.data.jobCard, 'the job card');
    expect((await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body.repo).toBe(repo);
    await untilMessage(conversationId, (m) => m.role === 'assistant' && m.data.update === 'waiting', 'the question in chat');
    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'yes, like normal subtraction' });
    const done = await untilMessage(conversationId, (m) => m.role === 'assistant' && m.data.update === 'succeeded', 'the outcome');
    expect(done.jobId).toBe(card.jobId);
    // The status question is answered from the job, not by the model.
    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'what is the status?' });
    const status = await untilMessage(conversationId, (m) => m.role === 'assistant' && !!m.data.progress, 'the status answer');
    expect(status.content).toMatch(/succeeded/);
  });

  it('answers a job’s question with the next message unless it is a status question, and takes “answer:” as the answer always', async () => {
    const repo = await makeRepo('calc-js', join(root, `chat-${++n}`));
    const goal = `fix the subtract bug in src/calc.js [chat-${n}]`;
    fake.addScenario({ match: { contains: goal }, roles: team('Should negative results be allowed?') });
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'question', defaultRepo: repo })).body.id;
    await api(t.url, 'POST', '/api/chat', { conversationId, message: goal });
    const card = await untilMessage(conversationId, (m) => m.role === 'assistant' && !!m.data.jobCard, 'the job card');
    await untilMessage(conversationId, (m) => m.role === 'assistant' && m.data.update === 'waiting', 'the question in chat');

    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'what is the status?' });
    const status = await untilMessage(conversationId, (m) => m.role === 'assistant' && !!m.data.progress, 'the status answer');
    expect(status.content).toMatch(new RegExp(`Job ${card.jobId} is waiting for your answer: Should negative results be allowed\\?`));
    expect((await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body).toMatchObject({ status: 'waiting_human', lastResponse: null });

    await api(t.url, 'POST', '/api/chat', { conversationId, message: 'answer: what is the status quo? keep them negative' });
    const done = await untilMessage(conversationId, (m) => m.role === 'assistant' && m.data.update === 'succeeded', 'the outcome');
    expect(done.jobId).toBe(card.jobId);
    const job = (await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body;
    expect(job.lastResponse).toMatchObject({
      action: 'answer',
      answer: 'what is the status quo? keep them negative',
      by: 'user',
      via: { channel: 'chat', auth: 'none', conversationId },
      question: { kind: 'question', question: 'Should negative results be allowed?' },
    });
    const resumed = fake
      .messageRequests()
      .filter((r) => r.role === 'planner' && JSON.stringify(r.body?.messages).includes(goal) && r.turnIndex === 1);
    expect(JSON.stringify(resumed[0].body?.messages)).toContain('A person answered: what is the status quo? keep them negative');
  });

  it('shows what needs attention and what happened on the notification board, live', async () => {
    const stream = new SseClient(`${t.url}/api/notifications/stream`);
    await stream.until((m) => m.some((x) => x.event === 'snapshot'));
    const board = (await api(t.url, 'GET', '/api/notifications?limit=200')).body;
    expect(board.items.map((i: any) => i.kind)).toEqual(expect.arrayContaining(['job_started', 'job_succeeded', 'needs_attention']));
    expect(board.unreadCount).toBeGreaterThan(0);
    // Outcomes read as words from their tdln-out templates, not as status transitions.
    const started = board.items.find((i: any) => i.kind === 'job_started');
    expect(started.body).toBe(`Working on it — job ${started.jobId} has started.`);
    const succeeded = board.items.find((i: any) => i.kind === 'job_succeeded');
    expect(succeeded.body).toBe(`Job ${succeeded.jobId} succeeded.`);
    const one = board.items.find((i: any) => i.kind === 'needs_attention');
    const read = await api(t.url, 'POST', `/api/notifications/${one.id}/read`);
    expect(read.body.read).toBe(true);
    expect((await api(t.url, 'GET', '/api/notifications?unread=true&limit=200')).body.items.some((i: any) => i.id === one.id)).toBe(false);
    // A new failure shows up live.
    const repo = await makeRepo('calc-js', join(root, `chat-${++n}`));
    const goal = `fix the subtract bug in src/calc.js [chat-${n}]`;
    fake.addScenario({
      match: { contains: goal },
      roles: { planner: Array.from({ length: 8 }, () => reply(toolUse('read_file', { path: 'nope.js' }))) },
    });
    const failedId = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    const live = await stream.until((m) => m.some((x) => x.event === 'notification' && x.data.kind === 'job_failed'));
    expect(live.find((x) => x.event === 'notification' && x.data.kind === 'job_failed')!.data.body).toBe(
      `Job ${failedId} failed: agent_stuck\nNext step: rephrase the task with more detail (file, function, expected behaviour) and retry`,
    );
    stream.close();
  });
});
