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

  it('reads the summary of python -m unittest, so a green unittest suite lets the Builder commit', () => {
    const green =
      '............s\n----------------------------------------------------------------------\nRan 13 tests in 0.016s\n\nOK (skipped=1)\n';
    expect(parseTestOutput(green, 0)).toEqual({ runner: 'unittest', passed: 12, failed: 0, skipped: 1, failures: [] });
    const red =
      '.F.E\n======================================================================\nFAIL: test_matches (tests.test_base.SpecTestCase.test_matches)\n' +
      '----------------------------------------------------------------------\nTraceback (most recent call last):\n  File "tests/test_base.py", line 9\nAssertionError: False is not true\n\n' +
      '======================================================================\nERROR: test_parse (tests.test_parse.ParseTestCase)\n' +
      '----------------------------------------------------------------------\nTraceback (most recent call last):\nValueError: bad\n\n' +
      '----------------------------------------------------------------------\nRan 4 tests in 0.002s\n\nFAILED (failures=1, errors=1)\n';
    expect(parseTestOutput(red, 1)).toMatchObject({
      runner: 'unittest',
      passed: 2,
      failed: 2,
      skipped: 0,
      failures: [{ name: 'tests.test_base.SpecTestCase.test_matches' }, { name: 'tests.test_parse.ParseTestCase.test_parse' }],
    });
    expect(parseTestOutput(red, 1).failures[0].excerpt).toContain('AssertionError: False is not true');
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
