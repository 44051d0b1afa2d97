import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { randomBytes } from 'node:crypto';
import { OpenAiMaxTokensParam } from '@app/common';
import { ModelContentBlock, ModelMessage, ProviderCall } from './model-provider';
import { ModelUsage } from './pricing';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;
type ChatChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/**
 * A call in Chat Completions terms: the system prompt as the first message, tools as functions, a
 * tool result as a `tool` message right after the assistant turn that called it (before any text of
 * the same user turn), a forced tool call as a named `tool_choice`, streaming with usage.
 */
export function toChatRequest(call: ProviderCall, maxTokensParam: OpenAiMaxTokensParam): ChatRequest {
  const messages: ChatMessage[] = [{ role: 'system', content: call.system }];
  for (const message of call.messages) messages.push(...toChatMessages(message));
  return {
    model: call.model,
    messages,
    ...(call.tools.length
      ? {
          tools: call.tools.map((tool) => ({
            type: 'function' as const,
            function: {
              name: tool.name,
              ...(tool.description ? { description: tool.description } : {}),
              parameters: tool.input_schema as Record<string, unknown>,
            },
          })),
        }
      : {}),
    ...(call.toolChoice ? { tool_choice: { type: 'function' as const, function: { name: call.toolChoice.name } } } : {}),
    [maxTokensParam]: call.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...(call.userId ? { user: call.userId } : {}),
  };
}

function toChatMessages(message: Anthropic.MessageParam): ChatMessage[] {
  const blocks: ReadonlyArray<{ type: string }> =
    typeof message.content === 'string' ? [{ type: 'text', text: message.content } as Anthropic.TextBlockParam] : message.content;
  const text = textOfBlocks(blocks);
  if (message.role === 'system') return text === '' ? [] : [{ role: 'system', content: text }];
  if (message.role === 'assistant') {
    const calls = blocks
      .filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use')
      .map((b) => ({ id: b.id, type: 'function' as const, function: { name: b.name, arguments: argumentsOf(b.input) } }));
    if (calls.length === 0) return text === '' ? [] : [{ role: 'assistant', content: text }];
    return [{ role: 'assistant', content: text === '' ? null : text, tool_calls: calls }];
  }
  const results: ChatMessage[] = blocks
    .filter((b): b is Anthropic.ToolResultBlockParam => b.type === 'tool_result')
    .map((b) => ({
      role: 'tool' as const,
      tool_call_id: b.tool_use_id,
      content: typeof b.content === 'string' ? b.content : textOfBlocks(b.content ?? []),
    }));
  return text === '' ? results : [...results, { role: 'user', content: text }];
}

function textOfBlocks(blocks: ReadonlyArray<{ type: string }>): string {
  return blocks
    .filter((b): b is Anthropic.TextBlockParam => b.type === 'text')
    .map((b) => b.text)
    .join('\n');
}

/**
 * The arguments of a past tool call as JSON text. Arguments that were not a JSON object are kept as
 * their raw text in the transcript (so the tool result can say what was wrong); they go back as `{}`,
 * since servers that parse past arguments (vLLM's chat templates) refuse a request that holds bad JSON.
 */
function argumentsOf(input: unknown): string {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? JSON.stringify(input) : '{}';
}

/**
 * Puts a streamed answer back together: text deltas appended, tool calls gathered by `index` (the id,
 * type and name arrive once, the arguments in pieces), the finish reason, and the usage chunk that
 * `stream_options.include_usage` adds at the end (with no choices).
 */
export class ChatStreamAccumulator {
  private id = '';
  private text = '';
  private readonly calls = new Map<number, { id?: string; name: string; arguments: string }>();
  private finishReason: string | null = null;
  private reported?: OpenAI.CompletionUsage;

  add(chunk: ChatChunk): void {
    if (!this.id && chunk.id) this.id = chunk.id;
    if (chunk.usage) this.reported = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') this.text += delta.content;
      for (const part of delta.tool_calls ?? []) {
        const call = this.calls.get(part.index) ?? { name: '', arguments: '' };
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name = part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
        this.calls.set(part.index, call);
      }
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
  }

  /** Whether the answer came to its end (a finish reason arrived); a stream that stops before is cut off. */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** The usage the server reported, if it did. */
  get usage(): OpenAI.CompletionUsage | undefined {
    return this.reported;
  }

  /** The answer in the gateway's terms. */
  message(): ModelMessage {
    const content: ModelContentBlock[] = [];
    if (this.text !== '') content.push({ type: 'text', text: this.text });
    for (const [, call] of [...this.calls.entries()].sort(([a], [b]) => a - b)) {
      content.push({
        type: 'tool_use',
        id: call.id ?? `call_${randomBytes(12).toString('hex')}`,
        name: call.name,
        input: parseArguments(call.arguments),
      });
    }
    return { id: this.id, content, stop_reason: stopReasonOf(this.finishReason, this.calls.size > 0) };
  }
}

/** A tool call's arguments: the JSON object they hold, else their raw text (which the tool refuses with a reason). */
export function parseArguments(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : raw;
  } catch {
    return raw;
  }
}

function stopReasonOf(finishReason: string | null, calledTools: boolean): Anthropic.StopReason | null {
  // A forced tool call finishes with `stop` on OpenAI, not `tool_calls`: the calls themselves tell.
  if (finishReason === 'length') return 'max_tokens';
  if (finishReason === 'content_filter') return 'refusal';
  if (calledTools) return 'tool_use';
  return finishReason === null ? null : 'end_turn';
}

/**
 * Usage in the gateway's terms. `prompt_tokens` counts the whole prompt: the part read from the
 * server's prompt cache (`cached_tokens`) and the part written to it (`cache_write_tokens`, where a
 * server reports it) are split out, so each is priced as such.
 */
export function usageOf(reported: OpenAI.CompletionUsage): ModelUsage {
  const cacheRead = reported.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = reported.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, (reported.prompt_tokens ?? 0) - cacheRead - cacheWrite),
    outputTokens: reported.completion_tokens ?? 0,
    cacheCreationTokens: cacheWrite,
    cacheReadTokens: cacheRead,
  };
}
