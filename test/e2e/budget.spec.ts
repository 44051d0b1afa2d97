import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsErrorCode, BudgetService } from '@app/agents';
import { CreateJobUseCase } from '@app/jobs';
import { TestApp, startTestApp } from '../support/test-app';

describe('budget bookkeeping of an agent step', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No worker: the job stays queued while its budget is booked by hand.
    t = await startTestApp({ env: { ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

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
      const first = await budget.settle(await budget.reserve(job.id, 100, 1), { tokens: 40, costCents: 0.5 }, true);
      expect(first).toMatchObject({ stepTaken: true, steps: 1, tokens: 40 });
      const second = await budget.settle(await budget.reserve(job.id, 100, 1), { tokens: 10, costCents: 0.5 }, true);
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
