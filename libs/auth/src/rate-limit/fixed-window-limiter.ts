import { RateLimit } from '@app/common';

/** The outcome of counting one request. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window (and the count) resets. */
  resetSeconds: number;
}

/**
 * Counts requests per key in fixed windows, in this process's memory. Several API processes each
 * keep their own counts, so the effective limit is per process.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;

  hit(key: string, rule: RateLimit, now = Date.now()): RateLimitDecision {
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + rule.windowSeconds * 1_000 };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      allowed: window.count <= rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1_000)),
    };
  }

  /** The key's window as it stands, without counting a request: `allowed` is false once `limit` requests were counted. */
  peek(key: string, rule: RateLimit, now = Date.now()): RateLimitDecision {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now)
      return { allowed: true, limit: rule.limit, remaining: rule.limit, resetSeconds: rule.windowSeconds };
    return {
      allowed: window.count < rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1_000)),
    };
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
