import { Inject, Injectable } from '@nestjs/common';
import Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, JobMode, LOGGER, ModelPrice } from '@app/common';
import { AgentsErrorCode, AgentsException } from '../agents.errors';
import { ModelUsage, budgetTokens, cacheReadWeight, costCents, priceOf, totalTokens } from './pricing';

/** One call to the model. `system` and `tools` are the stable, cached prefix. */
export interface ModelCallRequest {
  mode: JobMode;
  system: string;
  tools: Anthropic.Tool[];
  messages: Anthropic.MessageParam[];
  maxTokens?: number;
  signal?: AbortSignal;
  /** Sent as `metadata.user_id` (the job id), so usage can be traced on the provider's side. */
  userId?: string;
  /** Make the model call this tool (a forced tool call); by default it chooses. */
  toolChoice?: { type: 'tool'; name: string };
  /** Per-call limits instead of the configured ones (intake keeps its calls short). */
  timeoutMs?: number;
  maxRetries?: number;
}

/** What a call returned and what it cost. */
export interface ModelCallResult {
  message: Anthropic.Message;
  model: string;
  usage: ModelUsage;
  /** Every token, cached or not. */
  totalTokens: number;
  /** What the call counts against a token cap: cache reads weighted by their price (see {@link budgetTokens}). */
  budgetTokens: number;
  costCents: number;
  /** The price the call was charged at (USD per million tokens). */
  price: ModelPrice;
  latencyMs: number;
  /** Attempts made, 1 when the first succeeded (SDK-internal retries not counted). */
  attempts: number;
  /** The provider's id of the request that answered (the `request-id` header), else the message id. */
  requestId: string;
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * The one way to the model: the Anthropic SDK (streaming), the model of the job's mode, prompt
 * caching on the stable prefix and the growing transcript, retries with backoff and jitter
 * (the SDK's on 429/5xx/overload with `retry-after`, ours on dropped streams), and usage and
 * cost from what the model reports.
 */
@Injectable()
export class ModelGateway {
  private client?: Anthropic;
  private readonly logger: Logger;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'model-gateway' });
    if (config.model.apiKey) {
      this.client = new Anthropic({
        apiKey: config.model.apiKey,
        baseURL: config.model.baseUrl,
        maxRetries: config.model.maxRetries,
        timeout: config.model.timeoutMs,
      });
    }
  }

  /** Whether a model key is configured. */
  get configured(): boolean {
    return this.client !== undefined;
  }

  modelFor(mode: JobMode): string {
    return this.config.model.models[mode];
  }

  /** A rough token count of a request (4 characters a token), for budget reservations. */
  estimateInputTokens(request: Pick<ModelCallRequest, 'system' | 'tools' | 'messages'>): number {
    return Math.ceil((request.system.length + JSON.stringify(request.tools).length + JSON.stringify(request.messages).length) / 4);
  }

  /**
   * What to reserve before a call, counted as the cap counts it: the part of the request that the
   * previous call of the same conversation sent (`cachedTokens`, an estimate of the same kind) is
   * expected to be read from the prompt cache, the rest to be written to it. Output is not
   * reserved (a job overspends by at most one call's output); a cache miss costs more than
   * reserved, at most once, as the settlement charges what the call really used.
   */
  estimateCall(mode: JobMode, inputTokens: number, cachedTokens = 0): { tokens: number; costCents: number } {
    const price = priceOf(this.modelFor(mode), this.config.model.prices);
    const cached = Math.max(0, Math.min(cachedTokens, inputTokens));
    const fresh = inputTokens - cached;
    const usage: ModelUsage = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: fresh, cacheReadTokens: cached };
    return { tokens: fresh + Math.ceil(cached * cacheReadWeight(price)), costCents: costCents(usage, price) };
  }

  /** The most a call can cost, for reserving budget before it is made. */
  estimateCostCents(mode: JobMode, inputTokens: number, maxOutputTokens: number): number {
    return costCents(
      { inputTokens, outputTokens: maxOutputTokens, cacheCreationTokens: 0, cacheReadTokens: 0 },
      priceOf(this.modelFor(mode), this.config.model.prices),
    );
  }

  async call(request: ModelCallRequest): Promise<ModelCallResult> {
    if (!this.client) {
      throw new AgentsException(
        AgentsErrorCode.ModelNotConfigured,
        'No model is configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for another endpoint)',
      );
    }
    const model = this.modelFor(request.mode);
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model,
      max_tokens: request.maxTokens ?? this.config.model.maxOutputTokens,
      system: [{ type: 'text', text: request.system, cache_control: EPHEMERAL }],
      ...(request.tools.length
        ? { tools: request.tools.map((tool, i) => (i === request.tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool)) }
        : {}),
      messages: withCacheBreakpoint(request.messages),
      ...(request.userId ? { metadata: { user_id: request.userId } } : {}),
      ...(request.toolChoice ? { tool_choice: request.toolChoice } : {}),
    };
    const maxRetries = request.maxRetries ?? this.config.model.maxRetries;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      // The SDK's timeout ends when the answer starts; a stream that then goes quiet is cut here.
      const stall = new AbortController();
      const signal = request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal;
      let idle: NodeJS.Timeout | undefined;
      const watch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => stall.abort(new Error('stream idle')), this.config.model.streamIdleMs);
      };
      try {
        const stream = this.client.messages.stream(params, {
          signal,
          ...(request.timeoutMs !== undefined ? { timeout: request.timeoutMs } : {}),
          ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
        });
        stream.on('connect', watch);
        stream.on('streamEvent', watch);
        const message = await stream.finalMessage();
        const usage: ModelUsage = {
          inputTokens: message.usage.input_tokens ?? 0,
          outputTokens: message.usage.output_tokens ?? 0,
          cacheCreationTokens: message.usage.cache_creation_input_tokens ?? 0,
          cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
        };
        const price = priceOf(model, this.config.model.prices);
        return {
          message,
          model,
          usage,
          totalTokens: totalTokens(usage),
          budgetTokens: budgetTokens(usage, price),
          costCents: costCents(usage, price),
          price,
          latencyMs: Date.now() - started,
          attempts: attempt,
          requestId: stream.request_id ?? message.id,
        };
      } catch (error) {
        if (request.signal?.aborted) throw new AgentsException(AgentsErrorCode.Cancelled, 'The model call was cancelled');
        const stalled = stall.signal.aborted;
        if ((stalled || isDroppedStream(error)) && attempt <= maxRetries) {
          const delay = backoffMs(attempt);
          this.logger.warn(
            { attempt, delay, err: stalled ? `no stream event for ${this.config.model.streamIdleMs} ms` : (error as Error).message },
            'model stream dropped; retrying',
          );
          await sleep(delay, request.signal);
          continue;
        }
        if (stalled) {
          throw new AgentsException(
            AgentsErrorCode.ModelTimeout,
            `The model stopped answering mid-stream (${this.config.model.streamIdleMs} ms without an event) ${attempt} times`,
            { attempts: attempt },
          );
        }
        throw translate(error);
      } finally {
        clearTimeout(idle);
      }
    }
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
 * A stream cut off after it started (the SDK does not retry those). Connection errors and timeouts
 * before the answer starts are not: the SDK has already retried them `maxRetries` times.
 */
function isDroppedStream(error: unknown): boolean {
  if (error instanceof Anthropic.APIError) return false;
  const message = error instanceof Error ? error.message : '';
  return /terminated|socket hang up|ECONNRESET|premature close/i.test(message);
}

function translate(error: unknown): AgentsException {
  if (error instanceof AgentsException) return error;
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new AgentsException(AgentsErrorCode.ModelTimeout, `The model did not start answering in time, after retries: ${error.message}`);
  }
  if (error instanceof Anthropic.RateLimitError) {
    return new AgentsException(AgentsErrorCode.ModelRateLimited, `The model kept answering 429 after retries: ${error.message}`, {
      status: 429,
    });
  }
  if (error instanceof Anthropic.APIError && (error.status === undefined || error.status >= 500)) {
    return new AgentsException(AgentsErrorCode.ModelUnavailable, `The model was unavailable after retries: ${error.message}`, {
      status: error.status ?? null,
    });
  }
  if (error instanceof Anthropic.APIError) {
    return new AgentsException(AgentsErrorCode.ModelRejected, `The model rejected the request: ${error.message}`, { status: error.status });
  }
  return new AgentsException(AgentsErrorCode.ModelUnavailable, `The model call failed: ${(error as Error)?.message ?? String(error)}`);
}

/** Exponential backoff from 500 ms with full jitter, capped at 8 s. */
function backoffMs(attempt: number): number {
  return Math.round(Math.random() * Math.min(8_000, 500 * 2 ** (attempt - 1)));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
