import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PRICES } from '@app/common';
import { budgetTokens, cacheReadWeight, costCents, totalTokens } from './pricing';

const haiku = DEFAULT_MODEL_PRICES['claude-haiku'];

describe('what a model call counts against the caps', () => {
  const usage = { inputTokens: 1_000, outputTokens: 500, cacheCreationTokens: 2_000, cacheReadTokens: 30_000 };

  it('weighs a cache read by its price against an uncached input token: a tenth for Anthropic models', () => {
    expect(cacheReadWeight(haiku)).toBeCloseTo(0.1);
    expect(cacheReadWeight(DEFAULT_MODEL_PRICES['claude-sonnet'])).toBeCloseTo(0.1);
  });

  it('counts uncached input, output and cache writes in full and cache reads at their weight', () => {
    expect(totalTokens(usage)).toBe(33_500);
    expect(budgetTokens(usage, haiku)).toBe(1_000 + 500 + 2_000 + 3_000);
  });

  it('rounds a weighted read up, so a call never counts less than it used', () => {
    expect(budgetTokens({ inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 1 }, haiku)).toBe(1);
  });

  it('counts cache reads in full for a model priced 0, having no price ratio to go by', () => {
    const free = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };
    expect(budgetTokens(usage, free)).toBe(33_500);
  });

  it('keeps the cost exact: every kind of token at its own price', () => {
    // 1,000 × $1 + 500 × $5 + 2,000 × $1.25 + 30,000 × $0.10 per million = $0.009 = 0.9 cents.
    expect(costCents(usage, haiku)).toBe(0.9);
  });
});
