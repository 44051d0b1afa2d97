import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ChatStreamAccumulator, parseArguments, toChatRequest, usageOf } from './openai-mapping';

const TOOLS: Anthropic.Tool[] = [
  { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
];
const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: object): OpenAI.Chat.Completions.ChatCompletionChunk =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  }) as never;

describe('the Chat Completions mapping', () => {
  it('sends the system prompt first, tool calls as JSON arguments, tool results as tool messages before the text of their turn', () => {
    const request = toChatRequest(
      {
        model: 'qwen2.5-coder:14b',
        system: 'Role: builder',
        tools: TOOLS,
        maxTokens: 1000,
        userId: 'job-1',
        messages: [
          { role: 'user', content: 'fix it' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Reading.' },
              { type: 'tool_use', id: 'call_a', name: 'read_file', input: { path: 'a.js' } },
              { type: 'tool_use', id: 'call_b', name: 'read_file', input: '{"path": "b.js"' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'call_a', content: 'export {}' },
              { type: 'tool_result', tool_use_id: 'call_b', content: [{ type: 'text', text: 'ERROR invalid_input: …' }], is_error: true },
              { type: 'text', text: 'Budget: half used.' },
            ],
          },
        ],
      },
      'max_tokens',
    );
    expect(request).toEqual({
      model: 'qwen2.5-coder:14b',
      messages: [
        { role: 'system', content: 'Role: builder' },
        { role: 'user', content: 'fix it' },
        {
          role: 'assistant',
          content: 'Reading.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.js"}' } },
            // Arguments that were not JSON go back as an object, so servers that parse them do not refuse the transcript.
            { id: 'call_b', type: 'function', function: { name: 'read_file', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'export {}' },
        { role: 'tool', tool_call_id: 'call_b', content: 'ERROR invalid_input: …' },
        { role: 'user', content: 'Budget: half used.' },
      ],
      tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: TOOLS[0].input_schema } }],
      max_tokens: 1000,
      stream: true,
      stream_options: { include_usage: true },
      user: 'job-1',
    });
  });

  it('forces a tool as a named function choice, and names the token limit as the endpoint wants it', () => {
    const request = toChatRequest(
      {
        model: 'gpt-4.1-mini',
        system: 's',
        tools: TOOLS,
        maxTokens: 64,
        messages: [{ role: 'user', content: 'x' }],
        toolChoice: { type: 'tool', name: 'read_file' },
      },
      'max_completion_tokens',
    );
    expect(request.tool_choice).toEqual({ type: 'function', function: { name: 'read_file' } });
    expect(request).toMatchObject({ max_completion_tokens: 64 });
    expect(request).not.toHaveProperty('max_tokens');
    expect(request).not.toHaveProperty('user');
    expect(toChatRequest({ model: 'm', system: 's', tools: [], maxTokens: 1, messages: [] }, 'max_tokens')).not.toHaveProperty('tools');
  });

  it('puts streamed tool calls back together by index: id and name once, arguments in pieces, in call order', () => {
    const answer = new ChatStreamAccumulator();
    answer.add(chunk({ role: 'assistant', content: null }));
    answer.add(chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'list_files', arguments: '' } }] }));
    answer.add(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"pa' } }] }));
    answer.add(chunk({ tool_calls: [{ index: 0, function: { arguments: 'th":"a.js"}' } }] }));
    answer.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }));
    expect(answer.finished).toBe(false);
    // A forced call ends with `stop` on OpenAI: the calls decide the stop reason.
    answer.add(chunk({}, 'stop'));
    answer.add({ ...chunk({}), choices: [], usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } } as never);
    expect(answer.finished).toBe(true);
    expect(answer.message()).toEqual({
      id: 'chatcmpl-1',
      stop_reason: 'tool_use',
      content: [
        { type: 'tool_use', id: 'call_1', name: 'read_file', input: { path: 'a.js' } },
        { type: 'tool_use', id: 'call_2', name: 'list_files', input: {} },
      ],
    });
    expect(answer.usage).toMatchObject({ prompt_tokens: 10 });
  });

  it('joins text deltas and reads length and content_filter as max_tokens and refusal', () => {
    const text = new ChatStreamAccumulator();
    for (const piece of ['Hel', 'lo', '']) text.add(chunk({ content: piece }));
    text.add(chunk({}, 'length'));
    expect(text.message()).toMatchObject({ content: [{ type: 'text', text: 'Hello' }], stop_reason: 'max_tokens' });
    const refused = new ChatStreamAccumulator();
    refused.add(chunk({}, 'content_filter'));
    expect(refused.message()).toMatchObject({ content: [], stop_reason: 'refusal' });
  });

  it('keeps arguments that are not a JSON object as their raw text, and reads empty arguments as no arguments', () => {
    expect(parseArguments('{"path": "a.js"')).toBe('{"path": "a.js"');
    expect(parseArguments('["a.js"]')).toBe('["a.js"]');
    expect(parseArguments('  ')).toEqual({});
    expect(parseArguments('{"path":"a.js"}')).toEqual({ path: 'a.js' });
  });

  it('splits cached and cache-written prompt tokens out of prompt_tokens', () => {
    expect(
      usageOf({ prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_tokens_details: { cached_tokens: 768 } }),
    ).toEqual({
      inputTokens: 232,
      outputTokens: 50,
      cacheCreationTokens: 0,
      cacheReadTokens: 768,
    });
    expect(
      usageOf({
        prompt_tokens: 1000,
        completion_tokens: 1,
        total_tokens: 1001,
        prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 600 },
      }),
    ).toMatchObject({ inputTokens: 300, cacheCreationTokens: 600, cacheReadTokens: 100 });
    expect(usageOf({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 })).toEqual({
      inputTokens: 7,
      outputTokens: 3,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
    });
  });
});
