import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter } from './fixed-window-limiter';

describe('FixedWindowLimiter', () => {
  it('allows the limit within a window, refuses the next, and starts over when the window ends', () => {
    const limiter = new FixedWindowLimiter();
    const rule = { limit: 2, windowSeconds: 10 };
    expect(limiter.hit('a', rule, 0)).toEqual({ allowed: true, limit: 2, remaining: 1, resetSeconds: 10 });
    expect(limiter.hit('a', rule, 1_000).remaining).toBe(0);
    expect(limiter.hit('a', rule, 2_500)).toEqual({ allowed: false, limit: 2, remaining: 0, resetSeconds: 8 });
    expect(limiter.hit('b', rule, 2_500).allowed).toBe(true);
    expect(limiter.hit('a', rule, 10_000)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('peeks at a window without counting, and refuses once the limit was counted', () => {
    const limiter = new FixedWindowLimiter();
    const rule = { limit: 2, windowSeconds: 10 };
    expect(limiter.peek('a', rule, 0)).toMatchObject({ allowed: true, remaining: 2 });
    limiter.hit('a', rule, 0);
    expect(limiter.peek('a', rule, 500)).toMatchObject({ allowed: true, remaining: 1 });
    limiter.hit('a', rule, 1_000);
    expect(limiter.peek('a', rule, 2_000)).toEqual({ allowed: false, limit: 2, remaining: 0, resetSeconds: 8 });
    expect(limiter.peek('a', rule, 2_000).allowed).toBe(false);
    expect(limiter.peek('a', rule, 10_000).allowed).toBe(true);
  });
});
