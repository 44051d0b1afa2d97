// Jest's globals (describe, it, test, expect and the hooks) on node's built-in test runner, so a
// package's Jest tests run unchanged with `node --require jest-globals.cjs --test`. Only the
// matchers the eval's tasks use; an unknown matcher fails the test saying so. Part of the eval's
// test runtime (bench/eval/runtime), not of the upstream package.
const test = require('node:test');
const assert = require('node:assert/strict');
const { inspect, isDeepStrictEqual } = require('node:util');

const withModifiers = (fn) => {
  const wrapped = (name, body) => fn(name, body);
  wrapped.skip = (name, body) => fn(name, { skip: true }, body);
  wrapped.only = (name, body) => fn(name, { only: true }, body);
  wrapped.todo = (name) => fn(name, { todo: true });
  return wrapped;
};

global.describe = withModifiers(test.describe);
global.it = withModifiers(test.it);
global.test = global.it;
global.beforeAll = test.before;
global.afterAll = test.after;
global.beforeEach = test.beforeEach;
global.afterEach = test.afterEach;

/** Jest's toEqual ignores undefined properties; toStrictEqual does not. */
const withoutUndefined = (value) => {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    );
  }
  return value;
};

const matchers = {
  toBe: (actual, expected) => [Object.is(actual, expected), `to be ${inspect(expected)}`],
  toEqual: (actual, expected) => [isDeepStrictEqual(withoutUndefined(actual), withoutUndefined(expected)), `to equal ${inspect(expected)}`],
  toStrictEqual: (actual, expected) => [isDeepStrictEqual(actual, expected), `to strictly equal ${inspect(expected)}`],
  toBeTruthy: (actual) => [!!actual, 'to be truthy'],
  toBeFalsy: (actual) => [!actual, 'to be falsy'],
  toBeNull: (actual) => [actual === null, 'to be null'],
  toBeUndefined: (actual) => [actual === undefined, 'to be undefined'],
  toBeDefined: (actual) => [actual !== undefined, 'to be defined'],
  toContain: (actual, item) => [actual.includes(item), `to contain ${inspect(item)}`],
  toHaveLength: (actual, length) => [actual.length === length, `to have length ${length}`],
  toMatch: (actual, pattern) => [
    typeof pattern === 'string' ? actual.includes(pattern) : pattern.test(actual),
    `to match ${inspect(pattern)}`,
  ],
  toThrow: (actual, expected) => {
    try {
      actual();
    } catch (error) {
      const message = String(error && error.message);
      const ok =
        expected === undefined ||
        (typeof expected === 'string' && message.includes(expected)) ||
        (expected instanceof RegExp && expected.test(message)) ||
        (typeof expected === 'function' && error instanceof expected);
      return [ok, `to throw ${inspect(expected)} (threw ${inspect(error)})`];
    }
    return [false, `to throw${expected === undefined ? '' : ` ${inspect(expected)}`}`];
  },
};

global.expect = (actual) => {
  const build = (negated) =>
    new Proxy(
      {},
      {
        get(_, name) {
          if (name === 'not') return build(!negated);
          const matcher = matchers[name];
          if (!matcher) return () => assert.fail(`expect(...).${String(name)} is not supported by bench/eval/runtime/jest-globals.cjs`);
          return (...args) => {
            const [pass, what] = matcher(actual, ...args);
            if (pass === negated) assert.fail(`expected ${inspect(actual)} ${negated ? 'not ' : ''}${what}`);
          };
        },
      },
    );
  return build(false);
};
