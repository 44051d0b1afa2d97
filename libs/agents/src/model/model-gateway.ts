import { Inject, Injectable } from '@nestjs/common';
import type Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, DomainException, JobMode, LOGGER, ModelPrice, ModelProviderName } from '@app/common';
import { AgentsErrorCode } from '../agents.errors';
import { AnthropicProvider } from './anthropic-provider';
import { ModelMessage, ModelProvider } from './model-provider';
import { OpenAiProvider } from './openai-provider';
import { ModelUsage, budgetTokens, cacheReadWeight, costCents, findPrice, totalTokens } from './pricing';

/** One call to the model. `system` and `tools` are the stable, cached prefix. */
export interface ModelCallRequest {
  mode: JobMode;
  system: string;
  tools: Anthropic.Tool[];
  /** The transcript, in the Messages API's shapes whichever the provider. */
  messages: Anthropic.MessageParam[];
  maxTokens?: number;
  signal?: AbortSignal;
  /** Sent as `metadata.user_id` / `user` (the job id), so usage can be traced on the provider's side. */
  userId?: string;
  /** Make the model call this tool (a forced tool call); by default it chooses. */
  toolChoice?: { type: 'tool'; name: string };
  /** Per-call limits instead of the configured ones (intake keeps its calls short). */
  timeoutMs?: number;
  maxRetries?: number;
}

/** What a call returned and what it cost. */
export interface ModelCallResult {
  message: ModelMessage;
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
  /** The provider's id of the request that answered (the `request-id` / `x-request-id` header), else the answer's id. */
  requestId: string;
}

const FREE: ModelPrice = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };

/** The model provider MODEL_PROVIDER names, when its key is configured. */
export function createModelProvider(config: AppConfig['model'], logger: Logger): ModelProvider | undefined {
  if (config.provider === 'openai') {
    const apiKey = config.openai.apiKey;
    return apiKey ? new OpenAiProvider({ ...config, openai: { ...config.openai, apiKey } }, logger) : undefined;
  }
  const apiKey = config.anthropic.apiKey;
  return apiKey ? new AnthropicProvider({ ...config, anthropic: { ...config.anthropic, apiKey } }, logger) : undefined;
}

/** What an operator sets to configure the model, for "not configured" errors. */
export function modelSetupHint(provider: ModelProviderName): string {
  return provider === 'openai'
    ? 'set OPENAI_API_KEY (any non-empty value for a server without keys) and OPENAI_BASE_URL'
    : 'set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for another endpoint), or MODEL_PROVIDER=openai with OPENAI_API_KEY';
}

/**
 * The one way to the model, whichever the provider (MODEL_PROVIDER: the Anthropic Messages API, or an
 * OpenAI-compatible Chat Completions endpoint): the model of the job's mode, streaming, retries with
 * backoff and jitter (the SDK's on 429/5xx/timeouts with `retry-after`, ours on dropped and stalled
 * streams), and usage and cost from what the model reports, priced by MODEL_PRICES (a model without a
 * price costs 0, with a warning).
 */
@Injectable()
export class ModelGateway {
  private readonly provider?: ModelProvider;
  private readonly logger: Logger;
  private readonly unpriced = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'model-gateway' });
    this.provider = createModelProvider(config.model, this.logger);
  }

  /** Whether a model key is configured. */
  get configured(): boolean {
    return this.provider !== undefined;
  }

  /** The API the gateway speaks (MODEL_PROVIDER). */
  get providerName(): ModelProviderName {
    return this.config.model.provider;
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
    const price = this.priceOf(this.modelFor(mode));
    const cached = Math.max(0, Math.min(cachedTokens, inputTokens));
    const fresh = inputTokens - cached;
    const usage: ModelUsage = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: fresh, cacheReadTokens: cached };
    return { tokens: fresh + Math.ceil(cached * cacheReadWeight(price)), costCents: costCents(usage, price) };
  }

  /** The most a call can cost, for reserving budget before it is made. */
  estimateCostCents(mode: JobMode, inputTokens: number, maxOutputTokens: number): number {
    return costCents(
      { inputTokens, outputTokens: maxOutputTokens, cacheCreationTokens: 0, cacheReadTokens: 0 },
      this.priceOf(this.modelFor(mode)),
    );
  }

  /** The price of a model: the longest MODEL_PRICES key it starts with; none costs 0, and says so once. */
  priceOf(model: string): ModelPrice {
    const price = findPrice(model, this.config.model.prices);
    if (price) return price;
    if (!this.unpriced.has(model)) {
      this.unpriced.add(model);
      this.logger.warn(
        { model, provider: this.config.model.provider },
        `no price is configured for model "${model}": its calls count as costing 0 (the cost cap will not stop them); add it to MODEL_PRICES`,
      );
    }
    return FREE;
  }

  async call(request: ModelCallRequest): Promise<ModelCallResult> {
    const provider = this.provider;
    if (!provider) {
      throw new DomainException(
        AgentsErrorCode.ModelNotConfigured,
        `No model is configured: ${modelSetupHint(this.config.model.provider)}`,
      );
    }
    const model = this.modelFor(request.mode);
    const call = {
      model,
      system: request.system,
      tools: request.tools,
      messages: request.messages,
      maxTokens: request.maxTokens ?? this.config.model.maxOutputTokens,
      userId: request.userId,
      toolChoice: request.toolChoice,
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
        const reply = await provider.send(call, {
          signal,
          onActivity: watch,
          ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
          ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
        });
        const price = this.priceOf(model);
        return {
          message: reply.message,
          model,
          usage: reply.usage,
          totalTokens: totalTokens(reply.usage),
          budgetTokens: budgetTokens(reply.usage, price),
          costCents: costCents(reply.usage, price),
          price,
          latencyMs: Date.now() - started,
          attempts: attempt,
          requestId: reply.requestId,
        };
      } catch (error) {
        if (request.signal?.aborted) throw new DomainException(AgentsErrorCode.Cancelled, 'The model call was cancelled');
        const stalled = stall.signal.aborted;
        if ((stalled || provider.isDroppedStream(error)) && attempt <= maxRetries) {
          const delay = backoffMs(attempt);
          this.logger.warn(
            { attempt, delay, err: stalled ? `no stream event for ${this.config.model.streamIdleMs} ms` : (error as Error).message },
            'model stream dropped; retrying',
          );
          await sleep(delay, request.signal);
          continue;
        }
        if (stalled) {
          throw new DomainException(
            AgentsErrorCode.ModelTimeout,
            `The model stopped answering mid-stream (${this.config.model.streamIdleMs} ms without an event) ${attempt} times`,
            { attempts: attempt },
          );
        }
        throw provider.translate(error);
      } finally {
        clearTimeout(idle);
      }
    }
  }
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
