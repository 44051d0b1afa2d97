import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, modelCallSeconds, modelCalls, modelCostCents, modelTokens, returnedRows } from '@app/common';
import { EventsService } from '@app/events';

/** An estimate held on a conversation while one model call is made. */
export interface ChatReservation {
  conversationId: string;
  tokens: number;
  costCents: number;
}

/** One model call the chat Coordinator made for a conversation (not charged to any job). */
export interface ChatModelCall {
  /** `intake`: reading a message that did not become a job; `reply`: a conversational answer. */
  stage: 'intake' | 'reply';
  model: string;
  tokens: number;
  costCents: number;
  latencyMs: number;
  requestId?: string;
  usage?: Record<string, number>;
}

/** What a conversation's own model calls used, against its caps. */
export interface ChatSpend {
  tokens: number;
  costCents: number;
  modelCalls: number;
  maxTokens: number;
  maxCostCents: number;
}

interface SpendRow {
  used_tokens: string;
  used_cost_cents: string;
  model_calls: number;
}

/**
 * The budget of the chat Coordinator's own model calls, per conversation: each call reserves its
 * estimate on the conversation row before it is made (refused once it would pass CHAT_MAX_COST_CENTS
 * or CHAT_MAX_TOKENS, so a conversation overspends by at most one call's output) and settles what it
 * used after. Every settled call is a `model_call` event of the conversation (no job) and, for a
 * conversational reply, counts in the Prometheus model metrics with role `chat` (intake calls count
 * there as role `intake`). Intake calls for a message that becomes a job are the job's, not these.
 */
@Injectable()
export class ChatBudgetService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventsService,
  ) {}

  /** Holds an estimate for one call, or returns null when the conversation's budget has no room for it. */
  async reserve(conversationId: string, estimate: { tokens: number; costCents: number }): Promise<ChatReservation | null> {
    const { maxTokens, maxCostCents } = this.config.chat;
    const rows = returnedRows<{ id: string }>(
      await this.dataSource.query(
        `UPDATE conversations SET reserved_tokens = reserved_tokens + $2, reserved_cost_cents = reserved_cost_cents + $3
          WHERE id = $1 AND used_tokens + reserved_tokens + $2 <= $4 AND used_cost_cents + reserved_cost_cents + $3 <= $5
         RETURNING id`,
        [conversationId, Math.ceil(estimate.tokens), estimate.costCents, maxTokens, maxCostCents],
      ),
    );
    return rows.length === 1 ? { conversationId, tokens: Math.ceil(estimate.tokens), costCents: estimate.costCents } : null;
  }

  /**
   * Gives the reservation back and charges what the call used, with its event, in one transaction;
   * `null` when no call was made or its cost went to a job.
   */
  async settle(reservation: ChatReservation, call: ChatModelCall | null): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE conversations SET reserved_tokens = greatest(0, reserved_tokens - $2), reserved_cost_cents = greatest(0, reserved_cost_cents - $3),
                used_tokens = used_tokens + $4, used_cost_cents = used_cost_cents + $5, model_calls = model_calls + $6
          WHERE id = $1`,
        [reservation.conversationId, reservation.tokens, reservation.costCents, call?.tokens ?? 0, call?.costCents ?? 0, call ? 1 : 0],
      );
      if (!call) return;
      await this.events.record(manager, [
        {
          type: 'model_call',
          conversationId: reservation.conversationId,
          jobId: null,
          role: 'coordinator',
          summary: `chat ${call.stage} → ${call.model}: ${call.tokens} tokens, ${call.costCents.toFixed(3)}¢, ${call.latencyMs} ms`,
          data: {
            stage: call.stage === 'reply' ? 'chat' : 'intake',
            model: call.model,
            totalTokens: call.tokens,
            costCents: call.costCents,
            latencyMs: call.latencyMs,
            ...(call.requestId ? { requestId: call.requestId } : {}),
            ...(call.usage ? { usage: call.usage } : {}),
          },
        },
      ]);
    });
    if (call?.stage === 'reply') {
      modelCalls.inc({ mode: 'mechanic', role: 'chat', model: call.model });
      modelCallSeconds.observe({ mode: 'mechanic', role: 'chat' }, call.latencyMs / 1000);
      for (const [kind, key] of [
        ['input', 'inputTokens'],
        ['output', 'outputTokens'],
        ['cache_read', 'cacheReadTokens'],
        ['cache_write', 'cacheCreationTokens'],
      ] as const)
        modelTokens.inc({ mode: 'mechanic', kind }, call.usage?.[key] ?? 0);
      modelCostCents.inc({ mode: 'mechanic' }, call.costCents);
    }
  }

  /** What the conversation's own model calls have used, and its caps. */
  async spend(conversationId: string): Promise<ChatSpend> {
    const [row]: SpendRow[] = await this.dataSource.query(
      'SELECT used_tokens, used_cost_cents, model_calls FROM conversations WHERE id = $1',
      [conversationId],
    );
    return {
      tokens: Number(row?.used_tokens ?? 0),
      costCents: Number(row?.used_cost_cents ?? 0),
      modelCalls: row?.model_calls ?? 0,
      maxTokens: this.config.chat.maxTokens,
      maxCostCents: this.config.chat.maxCostCents,
    };
  }
}
