import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, RecordedRequest, startFakeModel } from '../fake-model/fake-model-server';
import { reply, text, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const tokensOf = (r: RecordedRequest) =>
  r.usage!.input_tokens + r.usage!.output_tokens + (r.usage!.cache_creation_input_tokens ?? 0) + (r.usage!.cache_read_input_tokens ?? 0);

/**
 * The chat Coordinator's own model calls, over real HTTP with the real SDK against the fake
 * Messages API: each is metered (conversation spend, a model_call event, the metrics API's cost,
 * Prometheus with role chat), the conversation's budget (1 cent here) refuses calls past it with a
 * message in the chat, and an intake call whose message became a job is the job's, not the chat's.
 */
describe('chat model calls: budgeted and metered per conversation', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-chat-budget-'));
    chmodSync(root, 0o777);
    repo = await makeRepo('calc-js', join(root, 'calc'));
    t = await startTestApp({
      env: {
        // No worker: jobs the chat starts stay queued; only the Coordinator's calls are under test.
        ROLE: 'api',
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data'),
        CHAT_MAX_COST_CENTS: '1',
        INTAKE_MAX_COST_CENTS: '1',
        INTAKE_MAX_OUTPUT_TOKENS: '256',
        INTAKE_MODEL_MAX_RETRIES: '0',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const conversationOf = async (id: string) =>
    ((await api(t.url, 'GET', '/api/conversations?limit=500')).body.items as any[]).find((c) => c.id === id);
  const messagesOf = async (id: string) => (await api(t.url, 'GET', `/api/messages?conversationId=${id}&limit=500`)).body.items as any[];
  const answerTo = async (conversationId: string, message: string) => {
    const seen = (await messagesOf(conversationId)).length;
    expect((await api(t.url, 'POST', '/api/chat', { conversationId, message })).status).toBe(202);
    return waitFor(
      async () => (await messagesOf(conversationId)).slice(seen).find((m) => m.role === 'assistant'),
      20_000,
      `the answer to "${message}"`,
    );
  };
  const requestsAbout = (phrase: string) => fake.messageRequests().filter((r) => JSON.stringify(r.body).includes(phrase));

  it('meters every call of a conversation, then refuses further model calls past its budget with a clear message', async () => {
    fake.addScenario({
      match: { contains: 'what does the ledger record' },
      roles: {
        intake: [
          reply(toolUse('propose_intent', { understood: false, clarification: { question: 'What should change?', missing: 'operation' } })),
        ],
        // A long answer: its output alone takes half the conversation's budget.
        coordinator: [reply(text(`Every state change, hash-chained. ${'It can be verified end to end. '.repeat(120)}`))],
      },
    });
    fake.addScenario({
      match: { contains: 'and the events table' },
      roles: { intake: [reply(toolUse('propose_intent', { understood: false, clarification: { question: '?', missing: 'operation' } }))] },
    });
    const before = (await api(t.url, 'GET', '/api/metrics')).body;
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'budget', defaultRepo: repo })).body.id;

    const answer = await answerTo(conversationId, 'what does the ledger record?');
    expect(answer.content).toMatch(/^Every state change, hash-chained\./);
    const calls = requestsAbout('what does the ledger record');
    expect(calls.map((r) => r.role).sort()).toEqual(['coordinator', 'intake']);
    const used = calls.reduce((sum, r) => sum + tokensOf(r), 0);

    // The conversation's spend, its model_call events, the metrics API and Prometheus all count both calls.
    const conversation = await waitFor(
      async () => {
        const c = await conversationOf(conversationId);
        return c?.spend.modelCalls === 2 ? c : null;
      },
      10_000,
      'the spend to settle',
    );
    expect(conversation.spend.tokens).toBe(used);
    expect(conversation.spend.costCents).toBeGreaterThan(0.4);
    const events = (await api(t.url, 'GET', `/api/events?conversationId=${conversationId}&type=model_call`)).body.items;
    expect(events.map((e: any) => e.data.stage).sort()).toEqual(['chat', 'intake']);
    expect(events.every((e: any) => e.jobId === null)).toBe(true);
    expect(events.reduce((sum: number, e: any) => sum + e.data.totalTokens, 0)).toBe(used);
    const after = (await api(t.url, 'GET', '/api/metrics')).body;
    expect(after.chat.modelCalls - before.chat.modelCalls).toBe(2);
    expect(after.chat.tokens - before.chat.tokens).toBe(used);
    expect(after.costCents.chat - before.costCents.chat).toBeCloseTo(conversation.spend.costCents, 3);
    expect(after.costCents.total - before.costCents.total).toBeCloseTo(conversation.spend.costCents, 3);
    const prometheus = await (await fetch(`${t.url}/metrics`)).text();
    expect(prometheus).toMatch(/aict_model_calls_total\{mode="mechanic",role="chat",model="claude-haiku-4-5"\} 1\b/);

    // Past the budget: no model call, a message that says so, and what still works.
    const refused = await answerTo(conversationId, 'and the events table, what is in it?');
    expect(refused.data.budget).toMatchObject({ exhausted: true, maxCostCents: 1, modelCalls: 2 });
    expect(refused.content).toMatch(/This conversation has used its model budget .* so I will not ask the model again here/);
    expect(requestsAbout('and the events table')).toEqual([]);
    expect((await conversationOf(conversationId)).spend.modelCalls).toBe(2);
    // A task the grammar reads needs no model: it still becomes a job.
    const started = await answerTo(conversationId, 'fix the subtract bug in src/calc.js');
    expect(started.data.jobCard).toMatchObject({ status: 'queued' });
  });

  it('charges the intake call of a message that becomes a job to the job, not to the conversation', async () => {
    const goal = 'subtract in calc gives wrong answers, from chat';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        intake: [
          reply(
            toolUse('propose_intent', {
              understood: true,
              operation: 'bug_fix',
              targets: ['src/calc.js'],
              description: 'subtract adds',
              mode: 'mechanic',
            }),
          ),
        ],
      },
    });
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'to a job', defaultRepo: repo })).body.id;
    const card = await answerTo(conversationId, goal);
    expect(card.data.jobCard).toBeDefined();
    const [call] = requestsAbout(goal);
    const job = (await api(t.url, 'GET', `/api/jobs/${card.jobId}`)).body;
    expect(job.intent.source.kind).toBe('model');
    expect(job.usage.tokens).toBe(tokensOf(call));
    expect((await conversationOf(conversationId)).spend).toEqual({ modelCalls: 0, tokens: 0, costCents: 0 });
    const chatEvents = (await api(t.url, 'GET', `/api/events?conversationId=${conversationId}&type=model_call`)).body.items;
    expect(chatEvents.map((e: any) => e.jobId)).toEqual([job.id]);
  });
});
