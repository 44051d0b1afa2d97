import { stripVTControlCharacters } from 'node:util';
/** One failing test and the lines that explain it. */
export interface TestFailure {
  name: string;
  excerpt: string;
}

/** Counts and failures read from a test runner's output. */
export interface TestReport {
  /** The runner whose output was recognised; `exit_code` when none was. */
  runner: 'tap' | 'vitest' | 'jest' | 'pytest' | 'unittest' | 'cargo' | 'go' | 'exit_code';
  passed: number;
  failed: number;
  skipped: number;
  failures: TestFailure[];
}

const MAX_FAILURES = 20;
const EXCERPT_LINES = 15;

/** Lines are cut to this length before parsing: the output is untrusted and regexes are not all linear in a line's length. */
const MAX_LINE_CHARS = 4096;

/**
 * Reads the counts of node:test/TAP, vitest, jest, pytest, unittest, cargo test and go test output; falls back
 * on the exit code. Multi-line patterns match within a line (`[ \t]`, never `\s` across newlines), so
 * hostile output (a megabyte of blank lines) cannot make them quadratic.
 */
export function parseTestOutput(output: string, exitCode: number | null): TestReport {
  const lines = stripVTControlCharacters(output)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line));
  const text = lines.join('\n');
  return (
    parseTap(lines) ??
    parseVitest(text, lines) ??
    parseJest(text, lines) ??
    parsePytest(text, lines) ??
    parseUnittest(text, lines) ??
    parseCargo(text, lines) ??
    parseGo(lines) ?? {
      runner: 'exit_code',
      passed: 0,
      failed: exitCode === 0 ? 0 : 1,
      skipped: 0,
      failures:
        exitCode === 0
          ? []
          : [
              {
                name: '(test command)',
                excerpt: lines
                  .filter((l) => l.trim())
                  .slice(-EXCERPT_LINES)
                  .join('\n'),
              },
            ],
    }
  );
}

function lastCount(text: string, pattern: RegExp): number | undefined {
  const all = [...text.matchAll(pattern)];
  return all.length ? Number(all.at(-1)![1]) : undefined;
}

function parseTap(lines: string[]): TestReport | undefined {
  const text = lines.join('\n');
  const pass = lastCount(text, /^[#ℹ] pass (\d+)$/gm);
  const fail = lastCount(text, /^[#ℹ] fail (\d+)$/gm);
  if (pass === undefined || fail === undefined) return undefined;
  const cancelled = lastCount(text, /^[#ℹ] cancelled (\d+)$/gm) ?? 0;
  const skipped = (lastCount(text, /^[#ℹ] skipped (\d+)$/gm) ?? 0) + (lastCount(text, /^[#ℹ] todo (\d+)$/gm) ?? 0);
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = /^(\s*)not ok \d+ - (.*?)(\s+#\s*(TODO|SKIP).*)?$/.exec(line);
    if (!m || m[3] || failures.length >= MAX_FAILURES) return;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && block.length < 40; j++) {
      if (lines[j].trim() === '...') break;
      block.push(lines[j]);
    }
    const errorAt = block.findIndex((l) => /^\s*error:/.test(l));
    const excerpt = (errorAt >= 0 ? block.slice(errorAt) : block).slice(0, EXCERPT_LINES).join('\n');
    failures.push({ name: m[2], excerpt: dedent(excerpt) });
  });
  return { runner: 'tap', passed: pass, failed: fail + cancelled, skipped, failures };
}

function parseVitest(text: string, lines: string[]): TestReport | undefined {
  const summary = [...text.matchAll(/^[ \t]*Tests[ \t]+(.+)\(\d+\)[ \t]*$/gm)].at(-1)?.[1];
  if (!summary) return undefined;
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*FAIL\s+(.+)$/.exec(line);
    if (m && failures.length < MAX_FAILURES) failures.push({ name: m[1].trim(), excerpt: excerptAfter(lines, i) });
  });
  return { runner: 'vitest', passed: count('passed'), failed: count('failed'), skipped: count('skipped') + count('todo'), failures };
}

function parseJest(text: string, lines: string[]): TestReport | undefined {
  const summary = [...text.matchAll(/^Tests:[ \t]+(.+total)[ \t]*$/gm)].at(-1)?.[1];
  if (!summary) return undefined;
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*● (.+)$/.exec(line);
    if (m && !/Console$/.test(m[1]) && failures.length < MAX_FAILURES)
      failures.push({ name: m[1].trim(), excerpt: excerptAfter(lines, i) });
  });
  return { runner: 'jest', passed: count('passed'), failed: count('failed'), skipped: count('skipped') + count('todo'), failures };
}

function parsePytest(text: string, lines: string[]): TestReport | undefined {
  const summary = [
    ...text.matchAll(/^=*[ \t]*((?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)(?:, )?)+) in [\d.]+s/gm),
  ].at(-1)?.[1];
  if (!summary) return undefined;
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  const failures: TestFailure[] = [];
  for (const line of lines) {
    const m = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/.exec(line);
    if (m && failures.length < MAX_FAILURES) failures.push({ name: m[2], excerpt: m[3] ?? m[1] });
  }
  return {
    runner: 'pytest',
    passed: count('passed') + count('xpassed'),
    failed: count('failed') + count('errors?'),
    skipped: count('skipped') + count('xfailed'),
    failures,
  };
}

/** `python -m unittest`: `Ran N tests in Xs`, then `OK (skipped=1)` or `FAILED (failures=1, errors=2)`. */
function parseUnittest(text: string, lines: string[]): TestReport | undefined {
  const ran = [...text.matchAll(/^Ran (\d+) tests? in [\d.]+s[ \t]*$/gm)].at(-1);
  if (!ran) return undefined;
  const verdict = /^(OK|FAILED)(?:[ \t]+\(([^)\n]*)\))?[ \t]*$/m.exec(text.slice(ran.index! + ran[0].length));
  const detail = verdict?.[2] ?? '';
  const count = (word: string) => Number(new RegExp(`\\b${word}=(\\d+)`).exec(detail)?.[1] ?? 0);
  const total = Number(ran[1]);
  const failed = count('failures') + count('errors') + count('unexpected successes');
  const skipped = count('skipped') + count('expected failures');
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = /^(?:FAIL|ERROR): (\S+) \(([^)]+)\)/.exec(line);
    if (!m || failures.length >= MAX_FAILURES) return;
    // Python 3.11 names the test as `method (module.Class.method)`, older ones `method (module.Class)`.
    const name = m[2].endsWith(`.${m[1]}`) ? m[2] : `${m[2]}.${m[1]}`;
    failures.push({ name, excerpt: excerptAfter(lines, i + 1) });
  });
  return {
    runner: 'unittest',
    passed: Math.max(0, total - failed - skipped),
    failed: verdict ? failed : Math.max(failed, 1),
    skipped,
    failures,
  };
}

function parseCargo(text: string, lines: string[]): TestReport | undefined {
  const results = [...text.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/gm)];
  if (!results.length) return undefined;
  const sum = (i: number) => results.reduce((total, m) => total + Number(m[i]), 0);
  const failures: TestFailure[] = [];
  for (const line of lines) {
    const m = /^test (\S+) \.\.\. FAILED$/.exec(line);
    if (!m || failures.length >= MAX_FAILURES) continue;
    const start = lines.indexOf(`---- ${m[1]} stdout ----`);
    failures.push({ name: m[1], excerpt: start >= 0 ? excerptAfter(lines, start) : '' });
  }
  return { runner: 'cargo', passed: sum(1), failed: sum(2), skipped: sum(3), failures };
}

function parseGo(lines: string[]): TestReport | undefined {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let seen = false;
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*--- (PASS|FAIL|SKIP): (\S+)/.exec(line);
    if (!m) {
      if (/^(ok|FAIL)\s+\S+/.test(line)) seen = true;
      return;
    }
    seen = true;
    if (m[1] === 'PASS') passed++;
    else if (m[1] === 'SKIP') skipped++;
    else {
      failed++;
      if (failures.length < MAX_FAILURES) failures.push({ name: m[2], excerpt: excerptAfter(lines, i) });
    }
  });
  return seen ? { runner: 'go', passed, failed, skipped, failures } : undefined;
}

function excerptAfter(lines: string[], index: number): string {
  const out: string[] = [];
  for (let j = index + 1; j < lines.length && out.length < EXCERPT_LINES; j++) {
    if (out.length && /^\s*(FAIL|●|---- |--- (PASS|FAIL)|test result:|failures:)/.test(lines[j])) break;
    if (lines[j].trim() || out.length) out.push(lines[j]);
  }
  return dedent(out.join('\n').trimEnd());
}

function dedent(text: string): string {
  const indents = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => /^\s*/.exec(l)![0].length);
  const min = indents.length ? Math.min(...indents) : 0;
  return text
    .split('\n')
    .map((l) => l.slice(min))
    .join('\n');
}
