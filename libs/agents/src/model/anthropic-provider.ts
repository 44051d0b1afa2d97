import Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import { AppConfig, DomainException } from '@app/common';
import { AgentsErrorCode } from '../agents.errors';
import { ModelContentBlock, ModelProvider, ProviderCall, ProviderCallOptions, ProviderReply, sdkLogOptions } from './model-provider';

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * The Messages API through the Anthropic SDK: streaming, prompt caching of the stable prefix
 * (system + tools) and of the growing transcript, `metadata.user_id`, forced tool calls.
 */
export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic' as const;
  private readonly client: Anthropic;

  constructor(config: AppConfig['model'] & { anthropic: { apiKey: string } }, logger: Logger) {
    // A key given here keeps ANTHROPIC_AUTH_TOKEN unread; the log options keep ANTHROPIC_LOG unread.
    this.client = new Anthropic({
      apiKey: config.anthropic.apiKey,
      baseURL: config.anthropic.baseUrl,
      maxRetries: config.maxRetries,
      timeout: config.timeoutMs,
      ...sdkLogOptions(logger, 'anthropic-sdk'),
    });
  }

  async send(call: ProviderCall, options: ProviderCallOptions): Promise<ProviderReply> {
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: call.model,
      max_tokens: call.maxTokens,
      system: [{ type: 'text', text: call.system, cache_control: EPHEMERAL }],
      ...(call.tools.length
        ? { tools: call.tools.map((tool, i) => (i === call.tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool)) }
        : {}),
      messages: withCacheBreakpoint(withObjectInputs(call.messages)),
      ...(call.userId ? { metadata: { user_id: call.userId } } : {}),
      ...(call.toolChoice ? { tool_choice: call.toolChoice } : {}),
    };
    const stream = this.client.messages.stream(params, {
      signal: options.signal,
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    });
    stream.on('connect', options.onActivity);
    stream.on('streamEvent', options.onActivity);
    const message = await stream.finalMessage();
    return {
      message: { id: message.id, content: message.content as ModelContentBlock[], stop_reason: message.stop_reason },
      usage: {
        inputTokens: message.usage.input_tokens ?? 0,
        outputTokens: message.usage.output_tokens ?? 0,
        cacheCreationTokens: message.usage.cache_creation_input_tokens ?? 0,
        cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
      },
      requestId: stream.request_id ?? message.id,
    };
  }

  /**
   * A stream cut off after it started (the SDK does not retry those). Connection errors and timeouts
   * before the answer starts are not: the SDK has already retried them `maxRetries` times.
   */
  isDroppedStream(error: unknown): boolean {
    if (error instanceof Anthropic.APIError) return false;
    const message = error instanceof Error ? error.message : '';
    return /terminated|socket hang up|ECONNRESET|premature close/i.test(message);
  }

  translate(error: unknown): DomainException {
    if (error instanceof DomainException) return error;
    if (error instanceof Anthropic.APIConnectionTimeoutError) {
      return new DomainException(
        AgentsErrorCode.ModelTimeout,
        `The model did not start answering in time, after retries: ${error.message}`,
      );
    }
    if (error instanceof Anthropic.RateLimitError) {
      return new DomainException(AgentsErrorCode.ModelRateLimited, `The model kept answering 429 after retries: ${error.message}`, {
        status: 429,
      });
    }
    if (error instanceof Anthropic.APIError && (error.status === undefined || error.status >= 500)) {
      return new DomainException(AgentsErrorCode.ModelUnavailable, `The model was unavailable after retries: ${error.message}`, {
        status: error.status ?? null,
      });
    }
    if (error instanceof Anthropic.APIError) {
      return new DomainException(AgentsErrorCode.ModelRejected, `The model rejected the request: ${error.message}`, {
        status: error.status,
      });
    }
    return new DomainException(AgentsErrorCode.ModelUnavailable, `The model call failed: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** Marks the last block of the transcript so the conversation so far is cached for the next call. */
function withCacheBreakpoint(messages: Anthropic.MessageParam[]): Anthropic.MessageParam[] {
  if (messages.length === 0) return messages;
  const last = messages[messages.length - 1];
  const blocks: Anthropic.ContentBlockParam[] =
    typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : [...last.content];
  if (blocks.length === 0) return messages;
  const tail = blocks[blocks.length - 1] as Anthropic.ContentBlockParam & { cache_control?: unknown };
  blocks[blocks.length - 1] = { ...tail, cache_control: EPHEMERAL } as Anthropic.ContentBlockParam;
  return [...messages.slice(0, -1), { ...last, content: blocks } as Anthropic.MessageParam];
}

/**
 * The Messages API takes only objects as a tool call's input; a call whose arguments were not a JSON
 * object (kept as their raw text, as another provider may hand them over) goes back as `{}`; its
 * tool result already says what was wrong.
 */
function withObjectInputs(messages: Anthropic.MessageParam[]): Anthropic.MessageParam[] {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return messages.map((m) =>
    m.role !== 'assistant' || typeof m.content === 'string' || !m.content.some((b) => b.type === 'tool_use' && !isObject(b.input))
      ? m
      : { ...m, content: m.content.map((b) => (b.type === 'tool_use' && !isObject(b.input) ? { ...b, input: {} } : b)) },
  );
}
