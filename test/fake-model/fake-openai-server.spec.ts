import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai-server';
import { EXHAUSTED_TEXT, flaky, overloaded, rateLimited, reply, toolUse } from './scenario';

const MODEL = 'gpt-fake-mini';
const SYSTEM = 'You are a member of an AI coding team.\nRole: builder\nWork carefully.';
const READ_FILE = {
  type: 'function' as const,
  function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
};

function clientFor(fake: FakeOpenAi, maxRetries = 0): OpenAI {
  return new OpenAI({ baseURL: fake.url, apiKey: 'sk-fake-test', maxRetries, organization: null, project: null });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (err: unknown) => err,
  );
}

/** Every chunk of a streamed answer, and what went wrong reading it (if anything). */
async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error: error as Error };
  }
}

const task = (id: string): OpenAI.Chat.Completions.ChatCompletionMessageParam[] => [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: `Implement ${id}` },
];

describe('fake OpenAI Chat Completions API', () => {
  let fake: FakeOpenAi;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('streams a tool call split across chunks by index, a finish reason, a usage chunk and [DONE], as the SDK reads them', async () => {
    const input = { path: 'src/deep/file.ts', note: 'a long enough value to be split over several chunks of the stream' };
    fake.addScenario({ name: 'read', match: { contains: 'TASK-1' }, roles: { builder: [reply('Reading.', toolUse('read_file', input))] } });
    const { data, request_id } = await clientFor(fake)
      .chat.completions.create({
        model: MODEL,
        messages: task('TASK-1'),
        tools: [READ_FILE],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const { chunks, error } = await collect(data);
    expect(error).toBeUndefined();

    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant' });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'read_file' } });
    const pieces = calls.filter((c) => c.function?.arguments).map((c) => c.function!.arguments!);
    expect(pieces.length).toBeGreaterThan(2);
    expect(JSON.parse(pieces.join(''))).toEqual(input);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);

    const [record] = fake.completionRequests();
    expect(record).toMatchObject({
      scenario: 'read',
      role: 'builder',
      turnIndex: 0,
      outcome: 'reply',
      includeUsage: true,
      apiKey: 'sk-fake-test',
    });
    expect(request_id).toBe(record.requestId);
    expect(last.usage).toEqual(record.usage);
  });

  it('answers without streaming with a chat.completion whose usage counts the prompt and the answer', async () => {
    fake.addScenario({ match: { contains: 'TASK-2' }, default: [reply('Plain answer.')] });
    const completion = await clientFor(fake).chat.completions.create({ model: MODEL, messages: task('TASK-2') });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: 'Plain answer.' } });
    expect(completion.usage!.completion_tokens).toBe(Math.ceil('Plain answer.'.length / 4));
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('reports the repeated prefix of a growing conversation as cached prompt tokens', async () => {
    fake.addScenario({
      match: { contains: 'TASK-3' },
      roles: { builder: [reply(toolUse('read_file', { path: 'a.ts' })), reply('Done.')] },
    });
    const client = clientFor(fake);
    const first = await client.chat.completions.create({ model: MODEL, messages: task('TASK-3'), tools: [READ_FILE] });
    const call = first.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    const second = await client.chat.completions.create({
      model: MODEL,
      tools: [READ_FILE],
      messages: [
        ...task('TASK-3'),
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'export const a = 1;' },
      ],
    });
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBe(first.usage!.prompt_tokens);
    expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens);
    expect(second.choices[0].message.content).toBe('Done.');
  });

  it('answers 429 with retry-after in the real error shape, which the SDK waits out and retries', async () => {
    fake.addScenario({ match: { contains: 'TASK-4' }, default: [flaky(1, rateLimited(0.1).error, reply('after the wait'))] });
    const started = Date.now();
    const completion = await clientFor(fake, 1).chat.completions.create({ model: MODEL, messages: task('TASK-4') });
    expect(completion.choices[0].message.content).toBe('after the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    const [limited] = fake.completionRequests();
    expect(limited).toMatchObject({ status: 429, error: { type: 'requests', code: 'rate_limit_exceeded', param: null } });

    fake.addScenario({ match: { contains: 'LIMITED-ALWAYS' }, default: [rateLimited(0)] });
    const error = await rejection(clientFor(fake).chat.completions.create({ model: MODEL, messages: task('LIMITED-ALWAYS') }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
  });

  it('answers 500 and 503 (for a scripted 529) as server errors', async () => {
    fake.addScenario({ match: { contains: 'TASK-5' }, default: [{ error: { status: 500, type: 'api_error', message: 'boom' } }] });
    fake.addScenario({ match: { contains: 'TASK-6' }, default: [overloaded()] });
    const boom = await rejection(clientFor(fake).chat.completions.create({ model: MODEL, messages: task('TASK-5') }));
    expect(boom).toBeInstanceOf(InternalServerError);
    expect((boom as APIError).status).toBe(500);
    const busy = await rejection(clientFor(fake).chat.completions.create({ model: MODEL, messages: task('TASK-6') }));
    expect((busy as APIError).status).toBe(503);
    expect((busy as APIError).error).toMatchObject({ type: 'server_error', message: 'Overloaded' });
  });

  it('cuts a stream off after its first piece of content, without a finish reason or [DONE]', async () => {
    fake.addScenario({
      match: { contains: 'TASK-7' },
      default: [{ truncate: true, content: [toolUse('read_file', { path: 'src/a.ts' })] }],
    });
    const stream = await clientFor(fake).chat.completions.create({
      model: MODEL,
      messages: task('TASK-7'),
      tools: [READ_FILE],
      stream: true,
    });
    const { chunks, error } = await collect(stream);
    expect(error?.message).toMatch(/terminated/);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, null]);
    expect(fake.completionRequests()[0].outcome).toBe('truncated');
  });

  it('streams scripted raw arguments verbatim, even when they are not JSON', async () => {
    fake.addScenario({
      match: { contains: 'TASK-8' },
      default: [{ content: [{ type: 'tool_use', name: 'read_file', input: {}, rawArguments: '{"path": "src/a.ts"' }] }],
    });
    const stream = await clientFor(fake).chat.completions.create({
      model: MODEL,
      messages: task('TASK-8'),
      tools: [READ_FILE],
      stream: true,
    });
    const { chunks } = await collect(stream);
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '');
    expect(args.join('')).toBe('{"path": "src/a.ts"');
  });

  it('matches scenarios on the user field and plays the exhausted text past the script', async () => {
    fake.addScenario({ match: { metadataUserId: 'job-42' }, default: [reply('only turn')] });
    const client = clientFor(fake);
    const first = await client.chat.completions.create({ model: MODEL, user: 'job-42', messages: task('anything') });
    const again = await client.chat.completions.create({
      model: MODEL,
      user: 'job-42',
      messages: [...task('anything'), { role: 'assistant', content: 'only turn' }, { role: 'user', content: 'more?' }],
    });
    expect(first.choices[0].message.content).toBe('only turn');
    expect(again.choices[0].message.content).toBe(EXHAUSTED_TEXT);
    expect(fake.completionRequests()[1]).toMatchObject({ turnIndex: 1, outcome: 'exhausted' });
  });

  it.each([
    ['a field of the Messages API', { system: 'x' }, /Unrecognized request argument supplied: system/],
    [
      'a Messages API tool_choice',
      { tools: [READ_FILE], tool_choice: { type: 'tool', name: 'read_file' } },
      /Supported values are: 'function'/,
    ],
    [
      'a tool_choice naming no tool',
      { tools: [READ_FILE], tool_choice: { type: 'function', function: { name: 'nope' } } },
      /"nope" is not among/,
    ],
    ['a tool_choice without tools', { tool_choice: 'required' }, /only allowed when 'tools' are specified/],
    ['stream_options without stream', { stream_options: { include_usage: true } }, /only allowed when 'stream' is enabled/],
    ['an empty tools list', { tools: [] }, /too short - 'tools'/],
  ])('refuses %s with a 400 in the real error shape', async (_what, extra, message) => {
    fake.addScenario({ match: { contains: 'TASK-9' }, default: [reply('never')] });
    const error = await rejection(
      clientFor(fake).chat.completions.create({ model: MODEL, messages: task('TASK-9'), ...(extra as object) } as never),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as APIError).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(message) });
    expect(fake.completionRequests()[0].outcome).toBe('invalid');
  });

  it.each([
    [
      'a tool message that answers no call',
      [{ role: 'tool', tool_call_id: 'call_1', content: 'x' }],
      /messages with role 'tool' must be a response to a preceeding message with 'tool_calls'/,
    ],
    [
      'a call left without its tool message',
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{}' } }],
        },
        { role: 'user', content: 'go on' },
      ],
      /did not have response messages: call_1/,
    ],
    [
      'arguments sent as an object',
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: { path: 'a' } } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'x' },
      ],
      /arguments': expected a string/,
    ],
    [
      'arguments that are not a JSON object',
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'x' },
      ],
      /must be a JSON object/,
    ],
    [
      'a Messages API tool_result block',
      [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: 'y' }] }],
      /Invalid value: 'tool_result'/,
    ],
    [
      'an assistant message with neither content nor calls',
      [{ role: 'assistant' }],
      /Missing required parameter: 'messages\[2\]\.content'/,
    ],
  ])('refuses a transcript with %s', async (_what, tail, message) => {
    fake.addScenario({ match: { contains: 'TASK-10' }, default: [reply('never')] });
    const error = await rejection(
      clientFor(fake).chat.completions.create({ model: MODEL, tools: [READ_FILE], messages: [...task('TASK-10'), ...(tail as never[])] }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as APIError).message).toMatch(message);
  });

  it('refuses a wrong key with 401 invalid_api_key, serves the model list, and answers 404 elsewhere', async () => {
    const guarded = await startFakeOpenAi({ requireApiKey: 'sk-right', models: ['local-model'] });
    try {
      const wrong = await rejection(clientFor(guarded).chat.completions.create({ model: MODEL, messages: task('x') }));
      expect(wrong).toBeInstanceOf(AuthenticationError);
      expect((wrong as APIError).error).toMatchObject({ code: 'invalid_api_key' });
      const right = new OpenAI({ baseURL: guarded.url, apiKey: 'sk-right', maxRetries: 0, organization: null, project: null });
      expect((await right.models.list()).data.map((m) => m.id)).toEqual(['local-model']);
      expect(await rejection(right.embeddings.create({ model: 'e', input: 'x' }))).toMatchObject({ status: 404 });
    } finally {
      await guarded.close();
    }
  });

  it('leaves the usage chunk out when told to behave like a server that ignores include_usage', async () => {
    const bare = await startFakeOpenAi({ reportUsage: false });
    try {
      bare.addScenario({ match: { contains: 'TASK-11' }, default: [reply('no usage here')] });
      const stream = await clientFor(bare).chat.completions.create({
        model: MODEL,
        messages: task('TASK-11'),
        stream: true,
        stream_options: { include_usage: true },
      });
      const { chunks } = await collect(stream);
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
    } finally {
      await bare.close();
    }
  });
});
