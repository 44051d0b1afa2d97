import { describe, expect, it } from 'vitest';
import { parseLintOutput } from './lint-report';
import { parseTestOutput } from './test-report';

describe('parseTestOutput', () => {
  it('reads vitest summary lines and failing files', () => {
    const out =
      ' FAIL  test/a.spec.ts > math > adds\nAssertionError: expected 3 to be 4\n\n      Tests  1 failed | 4 passed | 2 skipped (7)\n';
    expect(parseTestOutput(out, 1)).toMatchObject({
      runner: 'vitest',
      passed: 4,
      failed: 1,
      skipped: 2,
      failures: [{ name: 'test/a.spec.ts > math > adds' }],
    });
  });

  it('reads jest summary lines', () => {
    const out = '  ● suite › works\n\n    expect(received).toBe(expected)\n\nTests:       1 failed, 1 skipped, 3 passed, 5 total\n';
    expect(parseTestOutput(out, 1)).toMatchObject({
      runner: 'jest',
      passed: 3,
      failed: 1,
      skipped: 1,
      failures: [{ name: 'suite › works' }],
    });
  });

  it('reads pytest summaries and FAILED lines', () => {
    const out = 'FAILED tests/test_calc.py::test_sub - assert 8 == 2\n==== 1 failed, 2 passed, 1 skipped in 0.03s ====\n';
    expect(parseTestOutput(out, 1)).toEqual({
      runner: 'pytest',
      passed: 2,
      failed: 1,
      skipped: 1,
      failures: [{ name: 'tests/test_calc.py::test_sub', excerpt: 'assert 8 == 2' }],
    });
  });

  it('sums cargo test results across binaries', () => {
    const out =
      'test tests::sub ... FAILED\n---- tests::sub stdout ----\nassertion failed\n\ntest result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured\ntest result: ok. 3 passed; 0 failed; 0 ignored; 0 measured\n';
    expect(parseTestOutput(out, 101)).toMatchObject({
      runner: 'cargo',
      passed: 5,
      failed: 1,
      skipped: 1,
      failures: [{ name: 'tests::sub', excerpt: 'assertion failed' }],
    });
  });

  it('counts go test verbose results', () => {
    const out =
      '=== RUN   TestAdd\n--- PASS: TestAdd (0.00s)\n=== RUN   TestSub\n    calc_test.go:9: got 8\n--- FAIL: TestSub (0.00s)\nFAIL\nFAIL\texample.com/calc\t0.01s\n';
    expect(parseTestOutput(out, 1)).toMatchObject({ runner: 'go', passed: 1, failed: 1, failures: [{ name: 'TestSub' }] });
  });

  it('parses a megabyte of hostile output (blank lines, one endless line) in linear time', () => {
    const started = Date.now();
    expect(parseTestOutput(`Tests ${'\n'.repeat(1_000_000)}`, 0)).toMatchObject({ runner: 'exit_code', failed: 0 });
    expect(parseTestOutput(`==== ${'1 passed, '.repeat(100_000)}`, 1)).toMatchObject({ runner: 'exit_code', failed: 1 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('falls back on the exit code when no runner is recognised', () => {
    expect(parseTestOutput('all good\n', 0)).toMatchObject({ runner: 'exit_code', passed: 0, failed: 0 });
    expect(parseTestOutput('boom\n', 2)).toMatchObject({ runner: 'exit_code', failed: 1, failures: [{ excerpt: 'boom' }] });
  });
});

describe('parseLintOutput', () => {
  it('reads unix-style lines and eslint stylish blocks', () => {
    const out = 'src/a.ts:3:5: error: no semicolon (semi)\n/ws/src/b.js\n  10:2  warning  Unexpected console statement  no-console\n';
    expect(parseLintOutput(out, '/ws')).toEqual([
      { path: 'src/a.ts', line: 3, column: 5, severity: 'error', message: 'no semicolon', rule: 'semi' },
      { path: 'src/b.js', line: 10, column: 2, severity: 'warning', message: 'Unexpected console statement', rule: 'no-console' },
    ]);
  });

  it('reads a line of a megabyte in linear time, keeping its start', () => {
    const started = Date.now();
    const out = `a.js:1: x${' '.repeat(1_000_000)}y!\nb.js\n  1:1  error x${' '.repeat(1_000_000)}y!\n`;
    expect(parseLintOutput(out)).toMatchObject([
      { path: 'a.js', line: 1, message: 'x' },
      { path: 'b.js', line: 1, message: 'x' },
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
