import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModel } from '../fake-model/fake-model-server';
import { startFakeOpenAi } from '../fake-model/fake-openai-server';
import { Scenario, Turn, flaky, overloaded, rateLimited, reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { SANDBOX_ENV } from '../support/sandbox';
import { TestApp, startTestApp } from '../support/test-app';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const RETRIES = 2;
const TIMEOUT_MS = 1_000;

/** What a test needs of a fake model API, whichever wire protocol it speaks. */
interface ModelApi {
  env: Record<string, string>;
  addScenario(scenario: Scenario): void;
  /** The requests whose first user message holds `goal`: how each ended, its script position, and the tokens it reported. */
  requests(goal: string): { outcome: string; turnIndex?: number; tokens: number }[];
  close(): Promise<void>;
}

/** The same scripted faults, served over the Messages API (Anthropic SDK) and over Chat Completions (OpenAI SDK). */
/** claude-haiku's cache-read price over its input price (0.1 / 1): how much a cache read counts against a token cap. */
const CACHE_READ_WEIGHT = 0.1;

const PROVIDERS: Record<'anthropic' | 'openai', () => Promise<ModelApi>> = {
  anthropic: async () => {
    const fake = await startFakeModel();
    return {
      env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
      addScenario: (scenario) => void fake.addScenario(scenario),
      requests: (goal) =>
        fake
          .messageRequests()
          .filter((r) => JSON.stringify(r.body?.messages?.[0]?.content ?? '').includes(goal))
          .map((r) => ({
            outcome: r.outcome,
            turnIndex: r.turnIndex,
            // Budget tokens: cache reads weigh what they cost against input (a tenth on the default mechanic model).
            tokens: r.usage
              ? r.usage.input_tokens +
                r.usage.output_tokens +
                Math.ceil((r.usage.cache_read_input_tokens ?? 0) * CACHE_READ_WEIGHT) +
                (r.usage.cache_creation_input_tokens ?? 0)
              : 0,
          })),
      close: () => fake.close(),
    };
  },
  openai: async () => {
    const fake = await startFakeOpenAi();
    return {
      env: { MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.url, MODEL_MECHANIC: 'gpt-fake-mini' },
      addScenario: (scenario) => void fake.addScenario(scenario),
      requests: (goal) =>
        fake
          .completionRequests()
          .filter((r) => JSON.stringify(r.view?.messages?.[0]?.content ?? '').includes(goal))
          .map((r) => ({ outcome: r.outcome, turnIndex: r.turnIndex, tokens: r.usage?.total_tokens ?? 0 })),
      close: () => fake.close(),
    };
  },
};

describe.each(['anthropic', 'openai'] as const)('fault: the model API fails (timeouts, 429, 5xx, truncated streams) — %s', (provider) => {
  let fake: ModelApi;
  let t: TestApp;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    fake = await PROVIDERS[provider]();
    root = mkdtempSync(join(tmpdir(), 'aict-model-faults-'));
    chmodSync(root, 0o777);
    t = await startTestApp({
      env: {
        ...fake.env,
        DATA_DIR: join(root, 'data'),
        MODEL_MAX_RETRIES: String(RETRIES),
        MODEL_TIMEOUT_MS: String(TIMEOUT_MS),
        MODEL_STREAM_IDLE_MS: String(TIMEOUT_MS),
        ...SANDBOX_ENV,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs a Builder job whose model turns are `turns`; returns the ended job, its budget row and the model requests it made. */
  const run = async (turns: Turn[]) => {
    const name = `model-fault-${++n}`;
    const repo = await makeRepo('calc-js', join(root, name));
    const goal = `fix the subtract bug in src/calc.js [${name}]`;
    fake.addScenario({ match: { contains: goal }, roles: { builder: turns } });
    const started = Date.now();
    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
    expect(created.status).toBe(201);
    const job = await waitFor(
      async () => {
        const j = (await api(t.url, 'GET', `/api/jobs/${created.body.id}`)).body;
        return ['succeeded', 'failed', 'aborted'].includes(j.status) ? j : null;
      },
      60_000,
      'the job to end',
    );
    const [row] = await t.dataSource.query(
      'SELECT used_tokens, used_cost_cents, reserved_tokens, reserved_cost_cents FROM jobs WHERE id = $1',
      [job.id],
    );
    const budget = {
      used: Number(row.used_tokens),
      usedCents: Number(row.used_cost_cents),
      reserved: Number(row.reserved_tokens),
      reservedCents: Number(row.reserved_cost_cents),
    };
    return { job, budget, requests: fake.requests(goal), seconds: (Date.now() - started) / 1000 };
  };
  /** What the job should have been charged: the usage of every answer the model completed. */
  const billed = (requests: { outcome: string; tokens: number }[]) =>
    requests.filter((r) => r.outcome === 'reply').reduce((sum, r) => sum + r.tokens, 0);

  it('retries a stream cut off mid-answer, a 500 and a 429 with retry-after, finishes, and charges only the completed answers', async () => {
    const { job, budget, requests } = await run([
      { failTimes: 1, truncate: true, then: reply(toolUse('edit_file', FIX)) },
      flaky(1, { status: 500, type: 'api_error', message: 'boom' }, reply(toolUse('run_tests', {}))),
      flaky(1, rateLimited(0.2).error, reply(toolUse('commit_changes', { message: 'Fix subtract' }))),
      reply('Done.'),
    ]);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(requests.map((r) => r.outcome)).toEqual(['truncated', 'reply', 'error', 'reply', 'error', 'reply', 'reply']);
    expect(budget.used).toBe(billed(requests));
    expect(job.usage.tokens).toBe(budget.used);
    expect([budget.reserved, budget.reservedCents]).toEqual([0, 0]);
  });

  it.each([
    ['a stream cut off every time', { truncate: true } as Turn, 'model_unavailable'],
    ['overloaded every time (529; 503 on Chat Completions)', overloaded() as Turn, 'model_unavailable'],
    ['429 every time', rateLimited(0) as Turn, 'model_rate_limited'],
    ['500 every time', { error: { status: 500, type: 'api_error', message: 'boom' } } as Turn, 'model_unavailable'],
    ['no answer within the timeout', { ...reply('too late'), delayMs: TIMEOUT_MS * 3 } as Turn, 'model_timeout'],
    [
      'a stream that stalls after it started',
      { ...reply('an answer that never ends'), eventDelayMs: TIMEOUT_MS * 3 } as Turn,
      'model_timeout',
    ],
  ])('gives up on %s after the retries with a clear code, and leaves the budget settled', async (_what, failing, code) => {
    const { job, budget, requests, seconds } = await run([reply(toolUse('read_file', { path: 'src/calc.js' })), failing]);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe(code);
    expect(job.error.message.length).toBeGreaterThan(10);
    // The first call, then the failing one tried 1 + RETRIES times: no more (no retries of retries).
    expect(requests.length, requests.map((r) => r.outcome).join(',')).toBe(1 + 1 + RETRIES);
    // Only the first answer completed (a stalled stream's record may still say "reply": the fake is
    // still writing it to a client that left).
    expect(budget.used).toBe(billed(requests.filter((r) => r.turnIndex === 0)));
    expect(budget.used).toBeGreaterThan(0);
    expect([budget.reserved, budget.reservedCents]).toEqual([0, 0]);
    console.log(`model fault "${_what}": failed with ${code} after ${requests.length} requests in ${seconds.toFixed(1)} s`);
  });
});
