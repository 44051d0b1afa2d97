import { ModelPrice } from '@app/common';

/** Token counts of one model call, from the model's reported usage. */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

export function totalTokens(usage: ModelUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheCreationTokens + usage.cacheReadTokens;
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
