import { ModelPrice } from '@app/common';

/** Token counts of one model call, from the model's reported usage. */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

/** Every token of a call, cached or not (what the model reports; for events and metrics). */
export function totalTokens(usage: ModelUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheCreationTokens + usage.cacheReadTokens;
}

/**
 * What a cache read weighs against an uncached input token: the ratio of their prices (0.1 for
 * Anthropic's models). A model priced 0 has no ratio to go by: its cache reads count in full.
 */
export function cacheReadWeight(price: ModelPrice): number {
  return price.input > 0 ? Math.min(1, price.cacheRead / price.input) : 1;
}

/**
 * The tokens a call counts against a token cap: uncached input, output and cache writes in full,
 * cache reads weighted by their price (a transcript re-read from the cache costs a tenth, and so
 * counts a tenth). Rounded up, so a call never counts less than it used.
 */
export function budgetTokens(usage: ModelUsage, price: ModelPrice): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheCreationTokens + Math.ceil(usage.cacheReadTokens * cacheReadWeight(price));
}

/** The price entry for a model: the longest configured key its name starts with, if any. */
export function findPrice(model: string, prices: Record<string, ModelPrice>): ModelPrice | undefined {
  const key = Object.keys(prices)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : prices[key];
}

/** Cost of a call in US cents. */
export function costCents(usage: ModelUsage, price: ModelPrice): number {
  const usd =
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheCreationTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000;
  return Math.round(usd * 100 * 10_000) / 10_000;
}
