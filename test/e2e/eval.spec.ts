import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

describe('npm run eval', () => {
  it('runs tasks through the real server with the scripted model and judges them by their acceptance tests, not by the job', async () => {
    const file = join(out, 'scripted.json');
    const { code, output } = await runEval(['--scripted', '--tasks', 'ts-dedent-nested,semver-wildcard', '--out', file]);
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
    expect(run.summary).toMatchObject({ tasks: 2, solved: 1, solveRate: 0.5, failures: { tests_fail: 1 } });
    expect(run.summary.costCentsPerSolved).toBeGreaterThan(0);
    expect(run.summary.tokensPerSolved).toBe(run.summary.tokens);
    expect(run.escalationData).toMatch(/escalat/);

    // The same figures as a table, on stdout and in the Markdown file beside the JSON.
    const row = (id: string) => output.split('\n').find((line) => line.startsWith(`| ${id} |`));
    expect(row('ts-dedent-nested')).toMatch(/^\| ts-dedent-nested \| typescript \| dev \| yes \| succeeded \| pass \|/);
    expect(row('semver-wildcard')).toMatch(
      /^\| semver-wildcard \| python \| dev \| no \| succeeded \| fail: tests\.test_base\.SpecTestCase\.test_matches \|.*acceptance tests fail after the change/,
    );
    expect(output).toContain('**Solved 1 of 2 (50.0%)**');
    expect(readFileSync(join(out, 'scripted.md'), 'utf8')).toContain(row('semver-wildcard'));
  }, 60_000);

  it('compares two runs side by side with ratios', async () => {
    const file = join(out, 'scripted.json');
    if (!existsSync(file)) return expect.fail('the scripted run above did not write its JSON');
    const child = spawn(process.execPath, [join(root, 'bench/eval/compare.mjs'), file, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    expect(await new Promise((done) => child.on('exit', done)), output).toBe(0);
    expect(output).toMatch(/\| solve rate \| 50\.0% \| 50\.0% \| 1\.00x \|/);
    expect(output).toMatch(/\| semver-wildcard \| no: .* \| no: .* \|/);
  });

  it('refuses to measure without a model and says how to get one', async () => {
    const { code, output } = await runEval(['--tasks', 'semver-wildcard']);
    expect(code).toBe(1);
    expect(output).toContain('no model is configured: set ANTHROPIC_API_KEY');
    expect(output).toContain('--scripted');
  });
});
