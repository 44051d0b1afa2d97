import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsErrorCode, BudgetService } from '@app/agents';
import { CreateJobUseCase } from '@app/jobs';
import { DEFAULT_MODEL_PRICES, DomainException } from '@app/common';
import { TestApp, startTestApp } from '../support/test-app';

const haiku = DEFAULT_MODEL_PRICES['claude-haiku'];

describe('budgets on the job row, through the real budget service and PostgreSQL', () => {
  let t: TestApp;
  let budget: BudgetService;

  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    budget = t.get<BudgetService>(BudgetService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const job = async (caps: { steps: number; tokens: number; cents: number }): Promise<string> => {
    const [row] = await t.dataSource.query(
      `INSERT INTO jobs (goal, repo, mode, agent_role, trace_id, status, max_attempts, max_steps, max_tokens, max_cost_cents, max_wall_ms)
       VALUES ('fix the bug in src/a.ts', '/srv/a', 'mechanic', 'coordinator', gen_random_uuid(), 'running', 1, $1, $2, $3, 600000) RETURNING id`,
      [caps.steps, caps.tokens, caps.cents],
    );
    return row.id;
  };
  const row = async (id: string) =>
    (
      await t.dataSource.query('SELECT used_tokens, used_cost_cents, reserved_tokens, reserved_cost_cents FROM jobs WHERE id = $1', [id])
    )[0];

  it('charges a call’s cache reads at a tenth against the token cap, and its cost exactly', async () => {
    const id = await job({ steps: 60, tokens: 400_000, cents: 100 });
    const reservation = await budget.reserve(id, 5_000, 1);
    const usage = { inputTokens: 1_000, outputTokens: 500, cacheCreationTokens: 2_000, cacheReadTokens: 30_000 };
    const settled = await budget.settle(reservation, { usage, price: haiku });
    expect(settled.charged).toEqual({ tokens: 6_500, costCents: 0.9 });
    const after = await row(id);
    expect([Number(after.used_tokens), Number(after.used_cost_cents)]).toEqual([6_500, 0.9]);
    expect([Number(after.reserved_tokens), Number(after.reserved_cost_cents)]).toEqual([0, 0]);
  });

  it('lets a transcript re-read from the cache go on where counting it in full would have stopped it', async () => {
    // Twenty calls re-reading a 30,000-token transcript: 600,000 tokens in full, 60,000 weighted (plus what each adds).
    const id = await job({ steps: 60, tokens: 100_000, cents: 100 });
    for (let call = 0; call < 20; call++) {
      const reservation = await budget.reserve(id, 1_000, 0.1);
      await budget.settle(reservation, {
        usage: { inputTokens: 200, outputTokens: 300, cacheCreationTokens: 1_000, cacheReadTokens: 30_000 },
        price: haiku,
      });
    }
    expect(Number((await row(id)).used_tokens)).toBe(20 * (200 + 300 + 1_000 + 3_000));
  });

  it('refuses a reservation past the token cap with token_limit, and past the cost cap with cost_limit', async () => {
    const id = await job({ steps: 60, tokens: 10_000, cents: 1 });
    await budget.settle(await budget.reserve(id, 1_000, 0), {
      usage: { inputTokens: 9_000, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
      price: haiku,
    });
    const tokens = await budget.reserve(id, 2_000, 0).catch((error: unknown) => error);
    expect(tokens).toBeInstanceOf(DomainException);
    expect((tokens as DomainException).code).toBe('token_limit');
    const cost = await budget.reserve(id, 10, 2).catch((error: unknown) => error);
    expect((cost as DomainException).code).toBe('cost_limit');
  });

  it('gives each stage its share of what the job has left, so what the Planner did not use goes to the Builder', async () => {
    const id = await job({ steps: 60, tokens: 400_000, cents: 100 });
    const plan = await budget.allowance(id, { share: 0.25, laterShares: [0.55, 0.2] });
    expect(plan).toMatchObject({ steps: 15, tokens: 100_000 });
    // The Planner used 5 of its 15 steps and 20,000 of its 100,000 tokens.
    await t.dataSource.query('UPDATE jobs SET used_steps = 5, used_tokens = 20000 WHERE id = $1', [id]);
    const build = await budget.allowance(id, { share: 0.55, laterShares: [0.2] });
    expect(build).toMatchObject({ steps: 41, tokens: 278_667 });
    expect(build.steps).toBeGreaterThan(Math.ceil(0.55 * 60));
    await t.dataSource.query('UPDATE jobs SET used_steps = 30, used_tokens = 150000 WHERE id = $1', [id]);
    expect(await budget.allowance(id, { share: 0.2, laterShares: [] })).toMatchObject({ steps: 30, tokens: 250_000 });
  });

  it('takes steps up to the cap and refuses the next with step_limit', async () => {
    const id = await job({ steps: 2, tokens: 1_000, cents: 1 });
    await budget.takeStep(id);
    await budget.takeStep(id);
    const refused = await budget.takeStep(id).catch((error: unknown) => error);
    expect((refused as DomainException).code).toBe('step_limit');
  });
});

describe('budget bookkeeping of an agent step', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No worker: the job stays queued while its budget is booked by hand.
    t = await startTestApp({ env: { ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

  const tokens = (n: number) => ({ usage: { inputTokens: n, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 }, price: haiku });

  it("settles a model call and takes its first tool call's step in one statement, and leaves the step when the cap is reached", async () => {
    const job = await t
      .get<CreateJobUseCase>(CreateJobUseCase)
      .execute({ goal: 'fix the bug in src/budget.ts', repo: '/srv/repo', source: 'api', actor: 'user', caps: { maxSteps: 1 } });
    const budget = t.get<BudgetService>(BudgetService);
    const statements: string[] = [];
    const query = t.dataSource.query.bind(t.dataSource);
    t.dataSource.query = (async (sql: string, params?: unknown[]) => {
      statements.push(sql);
      return query(sql, params);
    }) as typeof t.dataSource.query;
    try {
      const first = await budget.settle(await budget.reserve(job.id, 100, 1), tokens(40), true);
      expect(first).toMatchObject({ stepTaken: true, steps: 1, tokens: 40 });
      const second = await budget.settle(await budget.reserve(job.id, 100, 1), tokens(10), true);
      expect(second).toMatchObject({ stepTaken: false, steps: 1, tokens: 50 });
      expect(statements).toHaveLength(4);
    } finally {
      t.dataSource.query = query;
    }
    await expect(budget.takeStep(job.id)).rejects.toMatchObject({ code: AgentsErrorCode.StepLimit });
    const [row] = await t.dataSource.query('SELECT used_steps, used_tokens, reserved_tokens FROM jobs WHERE id = $1', [job.id]);
    expect([row.used_steps, Number(row.used_tokens), Number(row.reserved_tokens)]).toEqual([1, 50, 0]);
  });
});
