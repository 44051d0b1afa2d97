import Anthropic, { APIError, AuthenticationError, BadRequestError, OverloadedError, RateLimitError } from '@anthropic-ai/sdk';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadScenarioFile, parseFakeModelArgs } from './cli';
import { startFakeModel, type FakeModel } from './fake-model-server';
import { EXHAUSTED_TEXT, flaky, overloaded, rateLimited, reply, text, toolUse, type ErrorSpec } from './scenario';

const MODEL = 'claude-sonnet-5-5';
const BUILDER_SYSTEM = 'You are a member of an AI coding team.\nRole: builder\nWork carefully.';

function clientFor(fake: FakeModel, maxRetries = 0): Anthropic {
  return new Anthropic({ baseURL: fake.url, apiKey: 'sk-fake-test', maxRetries });
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (err: unknown) => err,
  );
}

describe('fake Anthropic Messages API', () => {
  let fake: FakeModel;
  let clock = Date.now();

  beforeAll(async () => {
    fake = await startFakeModel({ now: () => clock });
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
    clock = Date.now();
  });

  it('answers a non-streaming create with a scripted tool_use turn', async () => {
    fake.addScenario({
      name: 'edit-file',
      match: { contains: 'TASK-1' },
      roles: { builder: [reply('Reading the file.', toolUse('read_file', { path: 'src/a.ts' }))] },
    });

    const message = await clientFor(fake).messages.create({
      model: MODEL,
      max_tokens: 1024,
      system: BUILDER_SYSTEM,
      messages: [{ role: 'user', content: 'Implement TASK-1' }],
    });

    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Reading the file.' });
    const call = message.content[1];
    expect(call?.type).toBe('tool_use');
    if (call?.type !== 'tool_use') throw new Error('unreachable');
    expect(call.id).toMatch(/^toolu_/);
    expect(call.name).toBe('read_file');
    expect(call.input).toEqual({ path: 'src/a.ts' });

    const [record] = fake.messageRequests();
    expect(record).toMatchObject({ scenario: 'edit-file', role: 'builder', turnIndex: 0, outcome: 'reply' });
    expect(record?.apiKey).toBe('sk-fake-test');
    expect(record?.anthropicVersion).toBeTruthy();
    expect(message._request_id).toBe(record?.requestId);
  });

  it('streams text and tool input that the SDK stream helper assembles into the final message', async () => {
    const input = { path: 'src/deep/file.ts', edits: [{ find: 'const a = 1;', replace: 'const a = 2;' }], dryRun: false };
    const longText = 'I will now change the constant in the file because the task asks for it.';
    fake.addScenario({ match: { contains: 'TASK-2' }, default: [reply(longText, toolUse('edit_file', input))] });

    const stream = clientFor(fake).messages.stream({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'TASK-2 please' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(longText);
    expect(message.content[0]).toMatchObject({ type: 'text', text: longText });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'edit_file', input });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage.output_tokens).toBe(fake.messageRequests()[0]?.usage?.output_tokens);
    expect(message.usage.output_tokens).toBeGreaterThan(1);
  });

  it('sends the documented SSE event sequence including ping and input_json_delta', async () => {
    fake.addScenario({ match: { contains: 'TASK-3' }, default: [reply('ok', toolUse('noop', { x: 1 }))] });

    const stream = await clientFor(fake).messages.create({
      model: MODEL,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'TASK-3' }],
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type === 'content_block_delta' ? `delta:${event.delta.type}` : event.type);
    }

    expect(types[0]).toBe('message_start');
    expect(types).toContain('delta:text_delta');
    expect(types).toContain('delta:input_json_delta');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);

    const raw = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'TASK-3' }] }),
    });
    expect(raw.headers.get('content-type')).toContain('text/event-stream');
    expect(await raw.text()).toContain('event: ping\ndata: {"type":"ping"}');
  });

  it('picks the turn from the number of assistant messages, so a resumed transcript continues the script', async () => {
    fake.addScenario({
      match: { contains: 'TASK-4' },
      roles: {
        builder: [reply(toolUse('run_tests', {}, 'toolu_fixed_1')), reply('tests pass, done')],
        reviewer: [reply('LGTM')],
      },
    });
    const resumed = {
      model: MODEL,
      max_tokens: 256,
      system: BUILDER_SYSTEM,
      messages: [
        { role: 'user' as const, content: 'TASK-4' },
        { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_fixed_1', name: 'run_tests', input: {} }] },
        { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_fixed_1', content: 'ok' }] },
      ],
    };

    // Two different clients stand in for two workers: the server keeps no per-conversation state.
    const first = await clientFor(fake).messages.create(resumed);
    const second = await clientFor(fake).messages.create(resumed);
    const reviewer = await clientFor(fake).messages.create({
      model: MODEL,
      max_tokens: 256,
      system: 'Role: reviewer',
      messages: [{ role: 'user', content: 'Review TASK-4' }],
    });

    expect(first.content).toEqual([{ type: 'text', text: 'tests pass, done' }]);
    expect(second.content).toEqual(first.content);
    expect(reviewer.content).toEqual([{ type: 'text', text: 'LGTM' }]);
    expect(fake.messageRequests().map((r) => r.turnIndex)).toEqual([1, 1, 0]);
  });

  it('answers an exhausted script with a marker text turn and records it', async () => {
    fake.addScenario({ match: { metadataUserId: 'job-5' }, default: [reply('only turn')] });

    const message = await clientFor(fake).messages.create({
      model: MODEL,
      max_tokens: 64,
      metadata: { user_id: 'job-5' },
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: 'only turn' },
        { role: 'user', content: 'and now?' },
      ],
    });

    expect(message.content).toEqual([{ type: 'text', text: EXHAUSTED_TEXT }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(fake.messageRequests().map((r) => r.outcome)).toEqual(['exhausted']);
  });

  it('has a 429 with retry-after retried by the SDK until the flaky turn succeeds', async () => {
    const limit: ErrorSpec = { ...rateLimited(0.05).error };
    fake.addScenario({ match: { contains: 'TASK-6' }, default: [flaky(2, limit, reply('finally'))] });

    const started = Date.now();
    const message = await clientFor(fake, 2).messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'TASK-6' }],
    });

    expect(message.content).toEqual([{ type: 'text', text: 'finally' }]);
    expect(fake.messageRequests().map((r) => [r.status, r.attempt])).toEqual([
      [429, 1],
      [429, 2],
      [200, 3],
    ]);
    // Two waits of retry-after (50 ms): far below the SDK's default backoff of >= 375 ms each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('surfaces a 429 as RateLimitError once the SDK runs out of retries', async () => {
    fake.addScenario({ match: { contains: 'TASK-7' }, default: [rateLimited(0.01)] });

    const err = await rejection(
      clientFor(fake, 1).messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'TASK-7' }] }),
    );

    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).type).toBe('rate_limit_error');
    expect((err as RateLimitError).requestID).toBe(fake.messageRequests()[1]?.requestId);
    expect(fake.messageRequests()).toHaveLength(2);
  });

  it('returns 529 overloaded_error as the SDK OverloadedError and honours x-should-retry', async () => {
    fake.addScenario({
      match: { contains: 'TASK-8' },
      default: [{ error: { ...overloaded().error, shouldRetry: false } }],
    });

    const err = await rejection(
      clientFor(fake, 3).messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'TASK-8' }] }),
    );

    expect(err).toBeInstanceOf(OverloadedError);
    expect((err as APIError).status).toBe(529);
    expect((err as APIError).type).toBe('overloaded_error');
    expect(fake.messageRequests()).toHaveLength(1);
  });

  it('makes the SDK stream helper throw when the stream is truncated mid-message', async () => {
    fake.addScenario({
      match: { contains: 'TASK-9' },
      default: [{ truncate: true, content: [text('This answer will never finish because the connection drops.')] }],
    });

    const stream = clientFor(fake, 2).messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'TASK-9' }],
    });
    const seen: string[] = [];
    stream.on('text', (delta) => seen.push(delta));

    await expect(stream.finalMessage()).rejects.toThrow();
    expect(seen.join('')).not.toBe('This answer will never finish because the connection drops.');
    expect(seen.length).toBeGreaterThan(0);
    expect(fake.messageRequests().map((r) => r.outcome)).toEqual(['truncated']);
  });

  it('serves a flaky truncation once and the full reply when the same transcript is sent again', async () => {
    const full = 'The full answer arrives on the second attempt of this turn.';
    fake.addScenario({ match: { contains: 'TASK-9b' }, default: [{ failTimes: 1, truncate: true, then: reply(full) }] });
    const send = () => clientFor(fake).messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'TASK-9b' }] });

    await expect(send().finalMessage()).rejects.toThrow();
    const message = await send().finalMessage();

    expect(message.content).toEqual([{ type: 'text', text: full }]);
    expect(fake.messageRequests().map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'truncated'],
      [2, 'reply'],
    ]);
    expect(fake.messageRequests()[0]?.response?.content).toEqual([{ type: 'text', text: full }]);
  });

  it('makes a non-streaming create reject when the body is cut off', async () => {
    fake.addScenario({ match: { contains: 'TASK-10' }, default: [{ truncate: true }] });

    const err = await rejection(
      clientFor(fake, 2).messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'TASK-10' }] }),
    );

    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(APIError);
    expect(fake.messageRequests().map((r) => [r.status, r.outcome])).toEqual([[200, 'truncated']]);
  });

  it('records a request whose client hung up during the scripted delay as client_gone', async () => {
    fake.addScenario({ match: { contains: 'TASK-10b' }, default: [{ ...reply('too late'), delayMs: 300 }] });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);

    const err = await rejection(
      clientFor(fake).messages.create(
        { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'TASK-10b' }] },
        { signal: abort.signal },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 350));

    expect(err).toBeInstanceOf(Error);
    expect(fake.messageRequests().map((r) => r.outcome)).toEqual(['client_gone']);
  });

  it('reports cache_creation on the first request and cache_read on the second with the same cached prefix', async () => {
    fake.addScenario({ match: { contains: 'TASK-11' }, default: [reply('one'), reply('two')] });
    const longSystem = `Role: builder\n${'Project rules. '.repeat(200)}`;
    const request = (messages: Anthropic.MessageParam[]) =>
      clientFor(fake).messages.create({
        model: MODEL,
        max_tokens: 64,
        system: [{ type: 'text', text: longSystem, cache_control: { type: 'ephemeral' } }],
        messages,
      });

    const first = await request([{ role: 'user', content: 'TASK-11 start' }]);
    const second = await request([
      { role: 'user', content: 'TASK-11 start' },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'continue' },
    ]);

    const [r1, r2] = fake.messageRequests();
    const prefixTokens = Math.ceil(longSystem.length / 4);
    expect(first.usage.cache_creation_input_tokens).toBe(prefixTokens);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(prefixTokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.input_tokens).toBe((r2?.accounting?.promptTokens ?? 0) - prefixTokens);
    expect(first.usage.input_tokens + prefixTokens).toBe(r1?.accounting?.promptTokens);
    expect(r2?.usage).toEqual(second.usage);
  });

  it('reads the longest cached prefix when the breakpoint moves forward with the conversation', async () => {
    fake.addScenario({ match: { contains: 'TASK-12' }, default: [reply('one'), reply('two')] });
    const marked = (value: string) => [{ type: 'text' as const, text: value, cache_control: { type: 'ephemeral' as const } }];
    const create = (messages: Anthropic.MessageParam[]) =>
      clientFor(fake).messages.create({ model: MODEL, max_tokens: 64, system: 'Role: builder', messages });

    const first = await create([{ role: 'user', content: marked(`TASK-12 ${'context '.repeat(100)}`) }]);
    const second = await create([
      { role: 'user', content: [{ type: 'text', text: `TASK-12 ${'context '.repeat(100)}` }] },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: marked('next step') },
    ]);

    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(second.usage.input_tokens).toBe(0);
  });

  it('stops reporting cache reads after the 5-minute TTL and when a scenario opts out of caching', async () => {
    fake.addScenario({ match: { contains: 'TASK-13' }, default: [reply('a')] });
    fake.addScenario({ match: { contains: 'TASK-14' }, cache: false, default: [reply('b')] });
    const create = (task: string) =>
      clientFor(fake).messages.create({
        model: MODEL,
        max_tokens: 64,
        system: [{ type: 'text', text: `${task} ${'rules '.repeat(100)}`, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'go' }],
      });

    await create('TASK-13');
    clock += 5 * 60 * 1000 + 1;
    const expired = await create('TASK-13');
    await create('TASK-14');
    const uncached = await create('TASK-14');

    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(uncached.usage.cache_read_input_tokens).toBe(0);
    expect(uncached.usage.cache_creation_input_tokens).toBe(0);
    expect(uncached.usage.input_tokens).toBe(fake.messageRequests()[3]?.accounting?.promptTokens);
  });

  it('rejects a request no scenario matches with a 400 the SDK raises as BadRequestError', async () => {
    fake.addScenario({ match: { contains: 'TASK-15' }, default: [reply('x')] });

    const err = await rejection(
      clientFor(fake, 2).messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'something else' }] }),
    );

    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain('no scenario matched');
    expect(fake.messageRequests().map((r) => r.outcome)).toEqual(['unmatched']);
  });

  it('rejects an orphaned tool_use the way the real API does', async () => {
    fake.addScenario({ match: { contains: 'TASK-16' }, default: [reply('x'), reply('y')] });

    const err = await rejection(
      clientFor(fake).messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [
          { role: 'user', content: 'TASK-16' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_orphan', name: 'ls', input: {} }] },
          { role: 'user', content: 'I never answered the tool call' },
        ],
      }),
    );

    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain('toolu_orphan');
  });

  it('answers a wrong API key with 401 when a key is required', async () => {
    const guarded = await startFakeModel({ requireApiKey: 'sk-right' });
    try {
      guarded.addScenario({ match: { contains: 'hi' }, default: [reply('hello')] });
      const create = (apiKey: string) =>
        new Anthropic({ baseURL: guarded.url, apiKey, maxRetries: 0 }).messages.create({
          model: MODEL,
          max_tokens: 64,
          messages: [{ role: 'user', content: 'hi' }],
        });

      await expect(create('sk-wrong')).rejects.toBeInstanceOf(AuthenticationError);
      await expect(create('sk-right')).resolves.toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    } finally {
      await guarded.close();
    }
  });

  it('serves count_tokens, the models list, and a 404 in the error format for other paths', async () => {
    const client = clientFor(fake);
    const body = { model: MODEL, system: 'Role: builder', messages: [{ role: 'user' as const, content: 'x'.repeat(40) }] };

    const count = await client.messages.countTokens(body);
    const models = await client.models.list();
    const missing = await fetch(`${fake.url}/v1/nothing-here`);

    expect(count.input_tokens).toBe(Math.ceil(('Role: builder'.length + 40) / 4));
    expect(models.data.map((m) => m.id)).toContain(MODEL);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('fake model command line', () => {
  it('parses its flags and loads scenarios from a JSON file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-model-'));
    const file = join(dir, 'scenarios.json');
    writeFileSync(
      file,
      JSON.stringify([{ name: 'json', match: { contains: 'X' }, default: [{ content: [{ type: 'text', text: 'hi' }] }] }]),
    );

    const args = parseFakeModelArgs(['--port', '4010', '--scenarios', file, '--no-cache', '--require-api-key', 'k']);

    expect(args.options).toEqual({ port: 4010, cache: false, requireApiKey: 'k' });
    expect(loadScenarioFile(args.scenarioFiles[0] ?? '')).toMatchObject([{ name: 'json', match: { contains: 'X' } }]);
    expect(() => parseFakeModelArgs(['--port', 'abc'])).toThrow(/--port/);
  });
});
