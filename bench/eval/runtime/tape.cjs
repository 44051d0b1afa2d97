// A stand-in for the `tape` package on node's built-in test runner, so a package's tape tests run
// unchanged with `node --test` (the real tape has a dozen dependencies to vendor). Covers the
// assertions the eval's tasks use; an unknown one fails the test saying so. Installed as
// node_modules/tape in a task's checkout; part of the eval's test runtime (bench/eval/runtime),
// not of the upstream package.
const nodeTest = require('node:test');
const assert = require('node:assert');

function makeT(done) {
  let planned;
  let count = 0;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    done();
  };
  const counted =
    (check) =>
    (...args) => {
      count++;
      check(...args);
      if (planned !== undefined && count >= planned) setImmediate(finish);
    };
  const t = {
    plan: (n) => {
      planned = n;
      if (count >= n) setImmediate(finish);
    },
    end: (error) => {
      if (error) throw error;
      finish();
    },
    equal: counted((a, b, msg) => assert.strictEqual(a, b, msg)),
    notEqual: counted((a, b, msg) => assert.notStrictEqual(a, b, msg)),
    deepEqual: counted((a, b, msg) => assert.deepStrictEqual(a, b, msg)),
    notDeepEqual: counted((a, b, msg) => assert.notDeepStrictEqual(a, b, msg)),
    looseEqual: counted((a, b, msg) => assert.equal(a, b, msg)),
    deepLooseEqual: counted((a, b, msg) => assert.deepEqual(a, b, msg)),
    ok: counted((v, msg) => assert.ok(v, msg)),
    notOk: counted((v, msg) => assert.ok(!v, msg)),
    error: counted((e, msg) => assert.ifError(e, msg)),
    throws: counted((fn, expected, msg) => (typeof expected === 'string' ? assert.throws(fn, expected) : assert.throws(fn, expected, msg))),
    doesNotThrow: counted((fn, msg) => assert.doesNotThrow(fn, msg)),
    pass: counted(() => undefined),
    fail: counted((msg) => assert.fail(msg)),
    comment: () => undefined,
  };
  for (const [alias, name] of Object.entries({
    equals: 'equal',
    isEqual: 'equal',
    is: 'equal',
    strictEqual: 'equal',
    strictEquals: 'equal',
    same: 'deepEqual',
    deepEquals: 'deepEqual',
    isEquivalent: 'deepEqual',
    notEquals: 'notEqual',
    isNot: 'notEqual',
    notSame: 'notDeepEqual',
    true: 'ok',
    assert: 'ok',
    false: 'notOk',
    ifError: 'error',
  })) {
    t[alias] = t[name];
  }
  return new Proxy(t, {
    get(target, name) {
      if (name in target || typeof name === 'symbol') return target[name];
      return () => assert.fail(`t.${name} is not supported by bench/eval/runtime/tape.cjs`);
    },
  });
}

function test(name, opts, fn) {
  if (typeof name === 'function') [name, opts, fn] = ['(anonymous)', {}, name];
  if (typeof opts === 'function') [opts, fn] = [{}, opts];
  nodeTest.test(
    name,
    { skip: !!opts.skip, todo: !!opts.todo, timeout: opts.timeout ?? 30_000 },
    () =>
      new Promise((resolve, reject) => {
        const t = makeT(resolve);
        try {
          const result = fn(t);
          if (result && typeof result.then === 'function') result.then(() => t.end(), reject);
        } catch (error) {
          reject(error);
        }
      }),
  );
}
test.skip = (name, opts, fn) =>
  test(name, { ...(typeof opts === 'object' ? opts : {}), skip: true }, typeof opts === 'function' ? opts : fn);
test.only = test;
module.exports = test;
