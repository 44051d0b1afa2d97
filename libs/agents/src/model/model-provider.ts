import type Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import { DomainException, ModelProviderName } from '@app/common';
import { ModelUsage } from './pricing';

/**
 * An assistant turn, whichever provider answered: its text and tool calls in the Messages API's block
 * shapes, which is also the transcript's format (a provider translates to and from it).
 */
export interface ModelMessage {
  /** The provider's id of the answer (`msg_…`, `chatcmpl-…`). */
  id: string;
  content: ModelContentBlock[];
  /** Why the model stopped, in the Messages API's terms (`tool_use`, `end_turn`, `max_tokens`, …). */
  stop_reason: Anthropic.StopReason | null;
}

/** A block of an assistant turn: text, or a tool call whose `input` is the parsed arguments (the raw text when they were not a JSON object). */
export type ModelContentBlock = Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam;

/** One call as a provider sends it: everything decided, nothing left to defaults. */
export interface ProviderCall {
  model: string;
  system: string;
  tools: Anthropic.Tool[];
  messages: Anthropic.MessageParam[];
  maxTokens: number;
  /** The job or conversation, so usage can be traced on the provider's side. */
  userId?: string;
  /** Make the model call this tool. */
  toolChoice?: { type: 'tool'; name: string };
}

export interface ProviderCallOptions {
  /** Aborts the request: the caller's cancellation, or the gateway cutting a stalled stream. */
  signal: AbortSignal;
  /** Per-call overrides of the SDK's timeout (until the answer starts) and its own retries. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Called when the answer starts and on every streamed event, so the gateway's idle watch sees progress. */
  onActivity: () => void;
}

/** What a provider got back. */
export interface ProviderReply {
  message: ModelMessage;
  usage: ModelUsage;
  /** The provider's request id (a response header), else the answer's id. */
  requestId: string;
}

/**
 * One model API behind the gateway. The gateway owns what is the same for every provider (budget
 * estimates, prices, the idle watch, retrying a stream cut off mid-answer); a provider owns its SDK:
 * the request mapping, streaming, the SDK's own retries (429, 5xx, timeouts, with `retry-after`) and
 * how its errors read.
 */
export interface ModelProvider {
  readonly name: ModelProviderName;
  /** Streams one answer to its end. Throws the SDK's errors as they are; {@link translate} reads them. */
  send(call: ProviderCall, options: ProviderCallOptions): Promise<ProviderReply>;
  /** Whether an error is a stream cut off after it started (which the SDK does not retry). */
  isDroppedStream(error: unknown): boolean;
  /** An SDK error (after the SDK's retries) as the gateway's error code. */
  translate(error: unknown): DomainException;
}

/**
 * An SDK's own log (retries, deprecations, bad options) into the service log, at `warn` and above.
 * Given explicitly, so the SDK neither writes to the console nor reads its log level from the
 * environment (`OPENAI_LOG`, `ANTHROPIC_LOG` at `debug` would print every request's prompt).
 */
export function sdkLogOptions(logger: Logger, sdk: string) {
  const log = logger.child({ component: sdk });
  const at =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...details: unknown[]) =>
      log[level](details.length ? { details } : {}, message);
  return { logLevel: 'warn' as const, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}
