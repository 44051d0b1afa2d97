import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ASYNC_COMMIT, DomainException, ModelPrice, returnedRows } from '@app/common';
import { AgentsErrorCode } from '../agents.errors';
import { ModelUsage, budgetTokens, costCents } from '../model/pricing';

/** A reservation made before a model call, settled after it. */
export interface Reservation {
  jobId: string;
  tokens: number;
  costCents: number;
}

/** Budget use after a settlement: fractions of each cap, for warnings. */
export interface BudgetUse {
  steps: number;
  tokens: number;
  costCents: number;
  fractions: { steps: number; tokens: number; cost: number };
}

interface Row {
  used_steps: number;
  max_steps: number;
  used_tokens: string;
  max_tokens: string;
  used_cost_cents: string;
  max_cost_cents: string;
  reserved_tokens: string;
  reserved_cost_cents: string;
}

function use(row: Row): BudgetUse {
  return {
    steps: row.used_steps,
    tokens: Number(row.used_tokens),
    costCents: Number(row.used_cost_cents),
    fractions: {
      steps: row.used_steps / row.max_steps,
      tokens: Number(row.used_tokens) / Number(row.max_tokens),
      cost: Number(row.used_cost_cents) / Number(row.max_cost_cents),
    },
  };
}

/** What one model call used, and the price it was made at. */
export interface CallUsage {
  usage: ModelUsage;
  price: ModelPrice;
}

/** What a call counts against the job's caps, as {@link BudgetService.settle} charges it. */
export function chargeOf(call: CallUsage): { tokens: number; costCents: number } {
  return { tokens: budgetTokens(call.usage, call.price), costCents: costCents(call.usage, call.price) };
}

/** Steps and budget tokens a stage's role may use. */
export interface Allowance {
  steps: number;
  tokens: number;
}

/** The least a stage is given, whatever is left: one call to finish with (the job's own caps still apply). */
const MIN_ALLOWANCE: Allowance = { steps: 2, tokens: 1_000 };

/**
 * What a stage's role may use: its share, relative to the shares of the agent stages still to come,
 * of what the job has left when the role starts, plus what the role already used (when it resumes
 * in a later run, or after its caps were raised). A stage that used less than its share leaves the
 * rest to the stages after it; the last agent stage gets everything that is left.
 */
export function stageAllowance(input: {
  caps: Allowance;
  used: Allowance;
  roleUsed?: Allowance;
  share: number;
  laterShares: number[];
}): Allowance {
  const total = input.share + input.laterShares.reduce((sum, s) => sum + s, 0);
  const fraction = total > 0 ? input.share / total : 1;
  // Rounded up, less a hair of floating-point noise (0.55 / 0.75 × 300,000 is not quite 220,000 in binary).
  const of = (key: keyof Allowance) =>
    (input.roleUsed?.[key] ?? 0) +
    Math.max(MIN_ALLOWANCE[key], Math.ceil(fraction * Math.max(0, input.caps[key] - input.used[key]) - 1e-6));
  return { steps: of('steps'), tokens: of('tokens') };
}

const RETURNING = 'used_steps, max_steps, used_tokens, max_tokens, used_cost_cents, max_cost_cents, reserved_tokens, reserved_cost_cents';

/**
 * Budgets are enforced in the database, on the job row, with single atomic statements: a model
 * call reserves its estimated input before it is made and settles the reported usage after, so a
 * job overspends by at most the output of one call; a tool call takes one step.
 */
@Injectable()
export class BudgetService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Reserves an estimate, or throws `token_limit` / `cost_limit` when it does not fit. */
  async reserve(jobId: string, tokens: number, costCents: number): Promise<Reservation> {
    const rows = returnedRows<Row>(
      await this.dataSource.query(
        `UPDATE jobs SET reserved_tokens = reserved_tokens + $2, reserved_cost_cents = reserved_cost_cents + $3
           FROM ${ASYNC_COMMIT}
          WHERE id = $1 AND used_tokens + reserved_tokens + $2 <= max_tokens AND used_cost_cents + reserved_cost_cents + $3 <= max_cost_cents
         RETURNING ${RETURNING}`,
        [jobId, tokens, costCents],
      ),
    );
    if (rows.length === 1) return { jobId, tokens, costCents };
    const [row] = await this.dataSource.query(`SELECT ${RETURNING} FROM jobs WHERE id = $1`, [jobId]);
    const tokenRoom = Number(row.max_tokens) - Number(row.used_tokens) - Number(row.reserved_tokens);
    if (tokenRoom < tokens) {
      throw new DomainException(
        AgentsErrorCode.TokenLimit,
        `Token cap reached: ${row.used_tokens} of ${row.max_tokens} used, the next call needs about ${tokens}`,
        {
          used: Number(row.used_tokens),
          cap: Number(row.max_tokens),
        },
      );
    }
    throw new DomainException(
      AgentsErrorCode.CostLimit,
      `Cost cap reached: ${Number(row.used_cost_cents).toFixed(2)} of ${row.max_cost_cents} cents used`,
      {
        used: Number(row.used_cost_cents),
        cap: Number(row.max_cost_cents),
      },
    );
  }

  /**
   * Replaces the reservation by what the call really used. Its tokens count as a token cap counts
   * them (cache reads weighted by their price, see {@link budgetTokens}); its cost is exact. With
   * `takeStep`, also takes one step for the call's first tool call in the same statement when the
   * cap leaves room (`stepTaken` says whether it did; when not, {@link takeStep} throws `step_limit`).
   */
  async settle(
    reservation: Reservation,
    call: CallUsage,
    takeStep = false,
  ): Promise<BudgetUse & { charged: { tokens: number; costCents: number }; stepTaken: boolean }> {
    const charged = chargeOf(call);
    return { ...(await this.apply(reservation, charged, takeStep)), charged };
  }

  /** Gives back a step the settlement took for a tool call that then did not run (a cap or a cancellation came first). */
  async returnStep(jobId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE jobs SET used_steps = greatest(0, used_steps - 1), updated_at = now() FROM ${ASYNC_COMMIT} WHERE id = $1`,
      [jobId],
    );
  }

  /** Gives a reservation back when the call failed before it used anything. */
  async release(reservation: Reservation): Promise<void> {
    await this.apply(reservation, { tokens: 0, costCents: 0 });
  }

  /** Steps, budget tokens and cost a job has used, and its caps. */
  async usage(jobId: string): Promise<{ used: Allowance & { costCents: number }; caps: Allowance & { costCents: number } }> {
    const [row] = await this.dataSource.query(`SELECT ${RETURNING} FROM jobs WHERE id = $1`, [jobId]);
    return {
      used: { steps: row.used_steps, tokens: Number(row.used_tokens), costCents: Number(row.used_cost_cents) },
      caps: { steps: row.max_steps, tokens: Number(row.max_tokens), costCents: Number(row.max_cost_cents) },
    };
  }

  /** What a stage's role may use now, from the job's caps and what it has used (see {@link stageAllowance}). */
  async allowance(
    jobId: string,
    stage: { share: number; laterShares: number[]; roleUsed?: Allowance },
  ): Promise<Allowance & { caps: Allowance }> {
    const { used, caps } = await this.usage(jobId);
    return { ...stageAllowance({ ...stage, caps, used }), caps: { steps: caps.steps, tokens: caps.tokens } };
  }

  private async apply(
    reservation: Reservation,
    actual: { tokens: number; costCents: number },
    takeStep = false,
  ): Promise<BudgetUse & { stepTaken: boolean }> {
    const rows = returnedRows<Row & { step_taken: boolean }>(
      await this.dataSource.query(
        `UPDATE jobs SET reserved_tokens = greatest(0, reserved_tokens - $2), reserved_cost_cents = greatest(0, reserved_cost_cents - $3),
                used_tokens = used_tokens + $4, used_cost_cents = used_cost_cents + $5,
                used_steps = used_steps + CASE WHEN $6 AND used_steps < max_steps THEN 1 ELSE 0 END, updated_at = now()
           FROM ${ASYNC_COMMIT}, (SELECT $6 AND used_steps < max_steps AS step_taken FROM jobs WHERE id = $1) AS s
          WHERE id = $1 RETURNING ${RETURNING}, s.step_taken`,
        [reservation.jobId, reservation.tokens, reservation.costCents, actual.tokens, actual.costCents, takeStep],
      ),
    );
    return { ...use(rows[0]), stepTaken: rows[0].step_taken };
  }

  /** Takes one step (a tool call), or throws `step_limit`. */
  async takeStep(jobId: string): Promise<BudgetUse> {
    const rows = returnedRows<Row>(
      await this.dataSource.query(
        `UPDATE jobs SET used_steps = used_steps + 1, updated_at = now() FROM ${ASYNC_COMMIT} WHERE id = $1 AND used_steps < max_steps RETURNING ${RETURNING}`,
        [jobId],
      ),
    );
    if (rows.length === 0) {
      const [row] = await this.dataSource.query('SELECT used_steps, max_steps FROM jobs WHERE id = $1', [jobId]);
      throw new DomainException(AgentsErrorCode.StepLimit, `Step cap reached: ${row.used_steps} of ${row.max_steps} tool calls used`, {
        used: row.used_steps,
        cap: row.max_steps,
      });
    }
    return use(rows[0]);
  }
}
