/**
 * The fault, hostile-input and load tests have a short version that runs in CI and a long one
 * behind AICT_LONG_TESTS=1 (for example `AICT_LONG_TESTS=1 npx vitest run test/load`).
 */
export const LONG = process.env.AICT_LONG_TESTS === '1';

/** `short` in the default (CI) run, `long` when AICT_LONG_TESTS=1. */
export function scale<T>(short: T, long: T): T {
  return LONG ? long : short;
}
