import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatRecordedRequest, FakeOpenAi, startFakeOpenAi } from '../fake-model/fake-openai-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { SANDBOX_ENV } from '../support/sandbox';
import { TestApp, startTestApp } from '../support/test-app';
import { CALC_ANALYSIS, CALC_FIX, CALC_PLAN } from '../fixtures/repos/calc-js-fix';

const planner = [
  reply(toolUse('read_file', { path: 'src/calc.js' })),
  reply(toolUse('record_analysis', CALC_ANALYSIS)),
  reply(toolUse('create_plan', CALC_PLAN)),
];
const builder = [
  reply('Fixing the operator.', toolUse('edit_file', CALC_FIX)),
  reply(toolUse('run_tests', {})),
  reply(toolUse('run_lint', {})),
  reply(toolUse('commit_changes', { message: 'Fix subtract' })),
  reply('Fixed subtract; 3 tests pass.'),
];
const reviewer = [reply(toolUse('get_diff', {})), reply(toolUse('submit_review', { verdict: 'approve', summary: 'Correct and tested.' }))];
/** USD per million tokens of the fake's mechanic model, so cost is real arithmetic and not 0. */
const PRICE = { input: 2, output: 8, cacheRead: 0.5 };
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * MODEL_PROVIDER=openai: the whole team through the official `openai` SDK against a fake
 * OpenAI-compatible Chat Completions server on loopback (streaming, tools as functions, usage
 * chunks), with the same budgets, accounting and events as the Anthropic path.
 */
describe('the OpenAI-compatible provider end to end', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    fake = await startFakeOpenAi({ requireApiKey: 'sk-local-test' });
    root = mkdtempSync(join(tmpdir(), 'aict-openai-'));
    chmodSync(root, 0o777);
    t = await startTestApp({
      env: {
        MODEL_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-local-test',
        OPENAI_BASE_URL: fake.url,
        MODEL_MECHANIC: 'gpt-fake-mini',
        MODEL_GENIUS: 'gpt-fake',
        MODEL_PRICES: JSON.stringify({ 'gpt-fake-mini': PRICE }),
        DATA_DIR: join(root, 'data'),
        ...SANDBOX_ENV,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const setup = async () => {
    const name = `openai-${++n}`;
    return { repo: await makeRepo('calc-js', join(root, name)), name };
  };
  const until = async (id: string, statuses: string[]) => {
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
      throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last?.error)}; events: ${events.slice(-12).join(' | ')}`, {
        cause: error,
      });
    }
  };
  /** The model calls a job made (the runner sends the job id as `user`). */
  const callsOf = (jobId: string) => fake.completionRequests().filter((r) => r.body?.user === jobId);
  /** What the gateway should have charged for the answers the fake completed: budget tokens, and cents at PRICE. */
  const billed = (records: ChatRecordedRequest[]) => {
    const done = records.filter((r) => r.outcome === 'reply');
    const cents = done.reduce((sum, r) => {
      const u = r.usage!;
      const cached = u.prompt_tokens_details.cached_tokens;
      const usd = ((u.prompt_tokens - cached) * PRICE.input + cached * PRICE.cacheRead + u.completion_tokens * PRICE.output) / 1_000_000;
      return sum + Math.round(usd * 100 * 10_000) / 10_000;
    }, 0);
    // Tokens against the cap: uncached input and output in full, cache reads weighted by their price (a quarter here).
    const tokens = done.reduce((sum, r) => {
      const u = r.usage!;
      const cached = u.prompt_tokens_details.cached_tokens;
      return sum + (u.prompt_tokens - cached) + u.completion_tokens + Math.ceil((cached * PRICE.cacheRead) / PRICE.input);
    }, 0);
    return { tokens, cents };
  };

  it('runs a whole job through the team — plan, build with tool calls, review, commit — with its usage and cost recorded', async () => {
    const { repo, name } = await setup();
    const goal = `fix the subtract bug in src/calc.js [${name}]`;
    fake.addScenario({ match: { contains: goal }, roles: { planner, builder, reviewer } });
    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(created.status).toBe(201);
    const job = await until(created.body.id, ['succeeded', 'failed', 'waiting_human']);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result.plan).toEqual(CALC_PLAN);
    expect(job.result.reviews).toEqual([{ verdict: 'approve', summary: 'Correct and tested.' }]);
    expect(git(repo, 'show', `aict/${job.id}:src/calc.js`)).toContain('return a - b;');
    expect(git(repo, 'log', '-1', '--format=%s', `aict/${job.id}`)).toBe('Fix subtract');

    // Every call went through the OpenAI wire protocol, as the server would see it.
    const calls = callsOf(job.id);
    expect(calls.map((c) => c.role)).toEqual([
      ...planner.map(() => 'planner'),
      ...builder.map(() => 'builder'),
      ...reviewer.map(() => 'reviewer'),
    ]);
    expect(calls.every((c) => c.outcome === 'reply' && c.apiKey === 'sk-local-test' && c.includeUsage)).toBe(true);
    const commit = calls.find((c) => c.role === 'builder' && c.turnIndex === 4)!;
    expect(commit.body).toMatchObject({ model: 'gpt-fake-mini', stream: true, max_tokens: expect.any(Number) });
    expect(commit.body!.messages![0]).toEqual({ role: 'system', content: expect.stringContaining('Role: builder') });
    expect(commit.body!.tools!.map((tool) => tool.function!.name)).toContain('commit_changes');
    const edit = commit.body!.messages!.find((m) => m.tool_calls?.some((c) => c.function?.name === 'edit_file'))!;
    expect(edit).toMatchObject({ role: 'assistant', content: 'Fixing the operator.' });
    expect(JSON.parse(edit.tool_calls![0].function!.arguments as string)).toEqual(CALC_FIX);
    expect(commit.body!.messages!.find((m) => m.tool_call_id === edit.tool_calls![0].id)).toMatchObject({ role: 'tool' });
    // The server's prefix cache shows as cached tokens once the transcript repeats.
    expect(commit.usage!.prompt_tokens_details.cached_tokens).toBeGreaterThan(0);

    // Usage and cost on the job are what the server reported, priced by MODEL_PRICES.
    const expected = billed(calls);
    expect(job.usage.tokens).toBe(expected.tokens);
    expect(job.usage.costCents).toBeGreaterThan(0);
    expect(job.usage.costCents).toBeCloseTo(expected.cents, 3);
    const [row] = await t.dataSource.query('SELECT reserved_tokens, reserved_cost_cents FROM jobs WHERE id = $1', [job.id]);
    expect([Number(row.reserved_tokens), Number(row.reserved_cost_cents)]).toEqual([0, 0]);
    const events = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=model_call&limit=100`)).body.items;
    expect(events).toHaveLength(calls.length);
    expect(events.find((e: any) => e.role === 'builder' && e.data.usage.cacheReadTokens > 0)).toMatchObject({
      data: { model: 'gpt-fake-mini', stopReason: 'tool_use', attempts: 1 },
    });
    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/aict_model_calls_total\{[^}]*model="gpt-fake-mini"[^}]*\} \d+/);
  });

  it("reads a request the grammar cannot through the model's forced propose_intent call", async () => {
    const { repo } = await setup();
    const goal = 'subtract in calc gives wrong answers on openai';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        intake: [
          reply(
            toolUse('propose_intent', {
              understood: true,
              operation: 'bug_fix',
              targets: ['src/calc.js'],
              description: 'subtract adds instead of subtracting',
              mode: 'mechanic',
            }),
          ),
        ],
      },
      default: [reply('Stopping here.')],
    });
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await api(t.url, 'POST', `/api/jobs/${res.body.id}/cancel`);
    const [call] = fake.completionRequests().filter((r) => r.role === 'intake' && JSON.stringify(r.body).includes(goal));
    expect(call.body!.tool_choice).toEqual({ type: 'function', function: { name: 'propose_intent' } });
    expect(call.body!.tools!.map((tool) => tool.function!.name)).toEqual(['propose_intent']);
    expect((call.body!.tools![0].function!.parameters as any).properties.operation.enum).toContain('bug_fix');
    expect(res.body.intent).toMatchObject({
      operation: 'bug_fix',
      targets: ['src/calc.js'],
      source: { kind: 'model', model: 'gpt-fake-mini', requestId: call.requestId },
    });
    const job = await until(res.body.id, ['aborted', 'failed', 'succeeded']);
    const intake = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=model_call`)).body.items.find(
      (e: any) => e.data.stage === 'intake',
    );
    expect(intake).toMatchObject({ data: { requestId: call.requestId, tokens: call.usage!.total_tokens } });
    expect(job.usage.tokens).toBeGreaterThanOrEqual(call.usage!.total_tokens);
  });

  it('answers a chat question in conversation through the same endpoint, charged to the conversation', async () => {
    const question = 'what does the ledger keep, asked over openai?';
    fake.addScenario({
      match: { contains: question },
      roles: {
        intake: [
          reply(toolUse('propose_intent', { understood: false, clarification: { question: 'What should change?', missing: 'operation' } })),
        ],
        coordinator: [reply('Every state change of every job, hash-chained.')],
      },
    });
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'openai chat' })).body.id;
    expect((await api(t.url, 'POST', '/api/chat', { conversationId, message: question })).status).toBe(202);
    const answer = await waitFor(
      async () =>
        ((await api(t.url, 'GET', `/api/messages?conversationId=${conversationId}&limit=50`)).body.items as any[]).find(
          (m) => m.role === 'assistant',
        ),
      20_000,
      'the answer',
    );
    expect(answer.content).toBe('Every state change of every job, hash-chained.');
    const chatCall = fake.completionRequests().find((r) => r.role === 'coordinator' && JSON.stringify(r.body).includes(question))!;
    // The Coordinator answers as an agent: offered its job tools (this conversation names no repository to read).
    expect(chatCall.body!.tools!.map((tool: any) => tool.function.name)).toEqual(
      expect.arrayContaining(['list_jobs', 'job_status', 'format_response']),
    );
    expect(chatCall.body!.messages!.map((m) => m.role)).toEqual(['system', 'user']);
    expect(chatCall.body!.user).toBe(conversationId);
    const conversation = await waitFor(
      async () =>
        ((await api(t.url, 'GET', '/api/conversations?limit=500')).body.items as any[]).find(
          (c) => c.id === conversationId && c.spend.modelCalls === 2,
        ),
      10_000,
      'the spend',
    );
    const intake = fake.completionRequests().find((r) => r.role === 'intake' && JSON.stringify(r.body).includes(question))!;
    expect(conversation.spend.tokens).toBe(intake.usage!.total_tokens + chatCall.usage!.total_tokens);
    expect(conversation.spend.costCents).toBeGreaterThan(0);
  });

  it('answers a tool call whose arguments are not valid JSON with invalid_input the model can act on, and goes on', async () => {
    const { repo, name } = await setup();
    const goal = `fix the subtract bug in src/calc.js [${name}]`;
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          { content: [{ type: 'tool_use', name: 'read_file', input: {}, rawArguments: '{"path": "src/calc.js"' }] },
          reply(toolUse('edit_file', CALC_FIX)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Done.'),
        ],
      },
    });
    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
    const job = await until(created.body.id, ['succeeded', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const [bad] = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=tool_call`)).body.items;
    expect(bad.data).toMatchObject({
      tool: 'read_file',
      ok: false,
      input: '{"path": "src/calc.js"',
      result: { error: { code: 'invalid_input' } },
    });
    expect(bad.data.result.error.message).toMatch(/the arguments are not a JSON object/);
    // The next request carried the refusal back, with the call's arguments as valid JSON (the fake refuses anything else).
    const next = callsOf(job.id).find((c) => c.turnIndex === 1)!;
    const replayed = next.body!.messages!.find((m) => m.role === 'assistant')!;
    expect(replayed.tool_calls![0].function).toEqual({ name: 'read_file', arguments: '{}' });
    expect(next.body!.messages!.find((m) => m.role === 'tool')).toMatchObject({
      tool_call_id: replayed.tool_calls![0].id,
      content: expect.stringContaining('ERROR invalid_input: Invalid input for read_file: the arguments are not a JSON object'),
    });
  });
});
