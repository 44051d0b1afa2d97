import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_ENV } from '../support/sandbox';

const root = resolve(__dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'aict-eval-spec-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs bench/eval/run.mjs as `npm run eval` does (after the build the test setup made), with no model key. */
async function runEval(args: string[]): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH!, ...SANDBOX_ENV };
  const child = spawn(process.execPath, [join(root, 'bench/eval/run.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  return { code, output };
}

interface EvalTask {
  id: string;
  language: string;
  repo?: string;
  repoDir: string;
  upstream: { package: string; repository: string; version: string; fixedIn: string; license: string };
}
const loadTasks = async (): Promise<EvalTask[]> =>
  ((await import(pathToFileURL(join(root, 'bench/eval/lib/tasks.mjs')).href)) as { loadTasks: () => EvalTask[] }).loadTasks();
const bytesUnder = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) => sum + (entry.isDirectory() ? bytesUnder(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );

describe('the eval task set', () => {
  it('has at least 12 tasks in JavaScript, TypeScript and Python, each recorded in SOURCES.md with its upstream repository, release and fix, and each repository keeps its license file', async () => {
    const tasks = await loadTasks();
    expect(tasks.length).toBeGreaterThanOrEqual(12);
    expect(new Set(tasks.map((t) => t.language))).toEqual(new Set(['javascript', 'typescript', 'python']));
    const sources = readFileSync(join(root, 'bench/eval/SOURCES.md'), 'utf8');
    for (const task of tasks) {
      const section = sources.split(`\n## ${task.id}\n`)[1]?.split('\n## ')[0];
      expect(section, `SOURCES.md has no section for ${task.id}`).toBeDefined();
      expect(section).toContain(`[${task.upstream.package}](${task.upstream.repository})`);
      expect(section).toContain(`release ${task.upstream.version}; fixed in ${task.upstream.fixedIn}`);
      expect(section).toContain(task.upstream.license);
      expect(
        readdirSync(task.repoDir).some((f) => /^(licen[cs]e|copying)/i.test(f)),
        `${task.id}: no license file in ${task.repoDir}`,
      ).toBe(true);
    }
  });

  it('stays small: tasks cut from the same upstream release share one copy, and the whole set is under 3 MB', async () => {
    const tasks = await loadTasks();
    const byRelease = new Map<string, Set<string>>();
    for (const t of tasks) {
      const release = `${t.upstream.package}@${t.upstream.version}`;
      byRelease.set(release, (byRelease.get(release) ?? new Set()).add(t.repoDir));
    }
    for (const [release, dirs] of byRelease) expect([...dirs], `${release} is vendored more than once`).toHaveLength(1);
    expect(bytesUnder(join(root, 'bench/eval/tasks')) + bytesUnder(join(root, 'bench/eval/upstream'))).toBeLessThan(3 * 1024 ** 2);
  });
});

describe('npm run eval', () => {
  it('runs tasks through the real server with the scripted model and judges them by their acceptance tests, not by the job', async () => {
    const file = join(out, 'scripted.json');
    const { code, output } = await runEval([
      '--scripted',
      '--tasks',
      'ts-dedent-nested,semver-wildcard,markdown-toc-escaped-names',
      '--out',
      file,
    ]);
    expect(code, output.slice(-3_000)).toBe(0);
    expect(output).toContain('SCRIPTED');

    const run = JSON.parse(readFileSync(file, 'utf8'));
    expect(run.model.scripted).toBe(true);
    const byId = Object.fromEntries(run.results.map((r: { id: string }) => [r.id, r]));
    // The replay of the upstream fix: the job succeeds and the upstream regression test passes on its branch.
    expect(byId['ts-dedent-nested']).toMatchObject({
      solved: true,
      failure: null,
      job: { status: 'succeeded' },
      judge: { tests: { passed: true } },
    });
    expect(byId['ts-dedent-nested'].judge.commits).toBeGreaterThan(0);
    expect(byId['ts-dedent-nested'].usage.tokens).toBeGreaterThan(0);
    // A task whose repository is the shared copy of its upstream release runs the same way.
    expect(byId['markdown-toc-escaped-names']).toMatchObject({ solved: true, judge: { tests: { passed: true } } });
    // The deliberately wrong attempt: the job claims success (its visible tests pass), the acceptance tests say otherwise.
    expect(byId['semver-wildcard']).toMatchObject({
      solved: false,
      job: { status: 'succeeded' },
      judge: { tests: { passed: false, failing: ['tests.test_base.SpecTestCase.test_matches'] } },
      failure: { kind: 'tests_fail' },
    });
    expect(byId['semver-wildcard'].failure.reason).toContain(
      'acceptance tests fail after the change: tests.test_base.SpecTestCase.test_matches',
    );
    expect(run.summary).toMatchObject({ tasks: 3, solved: 2, solveRate: 0.667, failures: { tests_fail: 1 } });
    expect(run.summary.costCentsPerSolved).toBeGreaterThan(0);
    expect(run.summary.tokensPerSolved).toBe(Math.round(run.summary.tokens / 2));
    expect(run.escalationData).toMatch(/escalat/);

    // The same figures as a table, on stdout and in the Markdown file beside the JSON.
    const row = (id: string) => output.split('\n').find((line) => line.startsWith(`| ${id} |`));
    expect(row('ts-dedent-nested')).toMatch(/^\| ts-dedent-nested \| typescript \| dev \| yes \| succeeded \| pass \|/);
    expect(row('semver-wildcard')).toMatch(
      /^\| semver-wildcard \| python \| dev \| no \| succeeded \| fail: tests\.test_base\.SpecTestCase\.test_matches \|.*acceptance tests fail after the change/,
    );
    expect(output).toContain('**Solved 2 of 3 (66.7%)**');
    expect(readFileSync(join(out, 'scripted.md'), 'utf8')).toContain(row('semver-wildcard'));
  }, 90_000);

  it('compares two runs side by side with ratios', async () => {
    const file = join(out, 'scripted.json');
    if (!existsSync(file)) return expect.fail('the scripted run above did not write its JSON');
    const child = spawn(process.execPath, [join(root, 'bench/eval/compare.mjs'), file, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    expect(await new Promise((done) => child.on('exit', done)), output).toBe(0);
    expect(output).toMatch(/\| solve rate \| 66\.7% \| 66\.7% \| 1\.00x \|/);
    expect(output).toMatch(/\| semver-wildcard \| no: .* \| no: .* \|/);
  });

  it('refuses to measure without a model and says how to get one', async () => {
    const { code, output } = await runEval(['--tasks', 'semver-wildcard']);
    expect(code).toBe(1);
    expect(output).toContain('no model is configured: set ANTHROPIC_API_KEY');
    expect(output).toContain('--scripted');
  });
});
