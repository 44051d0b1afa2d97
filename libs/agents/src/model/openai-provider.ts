import OpenAI from 'openai';
import { Logger } from 'pino';
import { AppConfig, DomainException, OpenAiMaxTokensParam } from '@app/common';
import { AgentsErrorCode } from '../agents.errors';
import { ModelProvider, ProviderCall, ProviderCallOptions, ProviderReply, sdkLogOptions } from './model-provider';
import { ChatStreamAccumulator, toChatRequest, usageOf } from './openai-mapping';

/** A streamed answer that ended (the connection closed cleanly) before its finish reason: cut off, like a dropped socket. */
export class StreamEndedEarly extends Error {
  constructor() {
    super('the stream ended before the answer finished (no finish_reason)');
    this.name = 'StreamEndedEarly';
  }
}

/**
 * An OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, llama.cpp server, Ollama) through the
 * official `openai` SDK: tools as functions, streaming with usage, a forced tool call as a named
 * `tool_choice`. The server's own prompt cache (if any) is reported as cached prompt tokens; there
 * is nothing to mark. A server that reports no usage is charged an estimate (4 characters a token),
 * with a warning, so the token and cost caps still hold.
 */
export class OpenAiProvider implements ModelProvider {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;
  private readonly maxTokensParam: OpenAiMaxTokensParam;
  private warnedNoUsage = false;

  constructor(
    config: AppConfig['model'] & { openai: { apiKey: string } },
    private readonly logger: Logger,
  ) {
    // Every option the SDK would otherwise read from OPENAI_* in the environment is given here, except
    // OPENAI_CUSTOM_HEADERS, which it always reads (docs/operations.md).
    this.client = new OpenAI({
      apiKey: config.openai.apiKey,
      adminAPIKey: null,
      baseURL: config.openai.baseUrl,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: config.maxRetries,
      timeout: config.timeoutMs,
      ...sdkLogOptions(logger, 'openai-sdk'),
    });
    this.maxTokensParam = config.openai.maxTokensParam;
  }

  async send(call: ProviderCall, options: ProviderCallOptions): Promise<ProviderReply> {
    const request = toChatRequest(call, this.maxTokensParam);
    const { data: stream, request_id } = await this.client.chat.completions
      .create(request, {
        signal: options.signal,
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      })
      .withResponse();
    options.onActivity();
    const answer = new ChatStreamAccumulator();
    for await (const chunk of stream) {
      options.onActivity();
      answer.add(chunk);
    }
    // The SDK ends the iteration quietly when the request is aborted: only a finish reason says the answer is whole.
    if (!answer.finished) throw new StreamEndedEarly();
    const message = answer.message();
    return { message, usage: answer.usage ? usageOf(answer.usage) : this.estimate(call, message), requestId: request_id ?? message.id };
  }

  isDroppedStream(error: unknown): boolean {
    if (error instanceof StreamEndedEarly) return true;
    if (error instanceof OpenAI.APIError) return false;
    const message = error instanceof Error ? error.message : '';
    return /terminated|socket hang up|ECONNRESET|premature close/i.test(message);
  }

  translate(error: unknown): DomainException {
    if (error instanceof DomainException) return error;
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new DomainException(
        AgentsErrorCode.ModelTimeout,
        `The model did not start answering in time, after retries: ${error.message}`,
      );
    }
    if (error instanceof OpenAI.RateLimitError) {
      return new DomainException(AgentsErrorCode.ModelRateLimited, `The model kept answering 429 after retries: ${error.message}`, {
        status: 429,
      });
    }
    if (error instanceof OpenAI.APIError && (error.status === undefined || error.status >= 500)) {
      return new DomainException(AgentsErrorCode.ModelUnavailable, `The model was unavailable after retries: ${error.message}`, {
        status: error.status ?? null,
      });
    }
    if (error instanceof OpenAI.APIError) {
      return new DomainException(AgentsErrorCode.ModelRejected, `The model rejected the request: ${error.message}`, {
        status: error.status,
      });
    }
    return new DomainException(AgentsErrorCode.ModelUnavailable, `The model call failed: ${(error as Error)?.message ?? String(error)}`);
  }

  /** Usage from the characters sent and received, for servers that ignore `stream_options.include_usage`. */
  private estimate(call: ProviderCall, message: ProviderReply['message']): ProviderReply['usage'] {
    if (!this.warnedNoUsage) {
      this.warnedNoUsage = true;
      this.logger.warn(
        { model: call.model },
        'the OpenAI-compatible endpoint reported no token usage (stream_options.include_usage); tokens are estimated at 4 characters each',
      );
    }
    const prompt = call.system.length + JSON.stringify(call.tools).length + JSON.stringify(call.messages).length;
    return {
      inputTokens: Math.ceil(prompt / 4),
      outputTokens: Math.ceil(JSON.stringify(message.content).length / 4),
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
    };
  }
}
