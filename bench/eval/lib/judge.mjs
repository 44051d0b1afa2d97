// Judging: a job's claim of success is not trusted. Its pushed branch is cloned afresh, the task's
// acceptance tests (the upstream tests of the fix) and test runtime are copied over whatever the
// job left there, and the task's test command runs in the same sandbox the server uses.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitEnv, materialize, overlayAcceptance } from './tasks.mjs';

/** The names of failing tests in node test runner or unittest output (at most `max`). */
export function failingTests(output, max = 5) {
  const names = [];
  for (const line of output.split('\n')) {
    const node = line.match(/^\s*not ok \d+ - (.+?)(?: # .*)?$/);
    const unittest = line.match(/^(?:FAIL|ERROR): (\S+) \(([^)]+)\)/);
    const name = node
      ? node[1]
      : unittest
        ? unittest[2].endsWith(`.${unittest[1]}`)
          ? unittest[2]
          : `${unittest[2]}.${unittest[1]}`
        : undefined;
    if (name && !names.includes(name)) names.push(name);
  }
  // node's runner reports a failing suite after its failing test: keep the innermost names first.
  return names.slice(0, max);
}

/** Runs the task's test command in `dir` under the sandbox; returns what a reader needs. */
export async function runTests(sandbox, task, dir, timeoutMs) {
  chmodSync(dir, 0o755);
  const run = await sandbox.run(task.test, { workspaceRoot: dir, timeoutMs });
  const passed = run.exitCode === 0 && !run.timedOut;
  return {
    passed,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    durationMs: run.durationMs,
    failing: passed ? [] : failingTests(run.output),
    outputTail: passed ? '' : run.output.slice(-2_000),
  };
}

/**
 * Judges a job's branch in `origin`: `{ branch, commits, tests }` where commits counts the commits
 * on the branch past the task's base, and tests is the acceptance run (undefined without a branch).
 */
export async function judgeBranch({ sandbox, task, origin, base, branch, work, timeoutMs }) {
  if (!branch) return { branch: null, commits: 0 };
  let exists = true;
  try {
    git(origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
  } catch {
    exists = false;
  }
  if (!exists) return { branch, commits: 0, missing: true };
  const commits = Number(git(origin, 'rev-list', '--count', `${base}..refs/heads/${branch}`));
  const dir = mkdtempSync(join(work, `judge-${task.id}-`));
  try {
    execFileSync(
      'git',
      ['-c', 'core.hooksPath=/dev/null', 'clone', '--quiet', '--no-hardlinks', '--single-branch', '--branch', branch, origin, dir],
      { env: gitEnv, stdio: 'ignore' },
    );
    overlayAcceptance(task, dir);
    return { branch, commits, tests: await runTests(sandbox, task, dir, timeoutMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Checks that a task is what it claims: the repository's own tests pass as given, the acceptance
 * tests fail on it (the defect is there), and pass once the upstream fix is applied.
 */
export async function checkTask({ sandbox, task, work, timeoutMs }) {
  const dir = mkdtempSync(join(work, `check-${task.id}-`));
  try {
    materialize(task, dir);
    const given = await runTests(sandbox, task, dir, timeoutMs);
    overlayAcceptance(task, dir);
    const before = await runTests(sandbox, task, dir, timeoutMs);
    git(dir, 'apply', join(task.dir, 'fix.patch'));
    const after = await runTests(sandbox, task, dir, timeoutMs);
    const problems = [
      ...(given.passed ? [] : [`its own tests fail as given: ${given.failing.join(', ') || given.outputTail.slice(-300)}`]),
      ...(before.passed ? ['the acceptance tests pass without the fix'] : []),
      ...(after.passed
        ? []
        : [`the acceptance tests fail with the upstream fix: ${after.failing.join(', ') || after.outputTail.slice(-300)}`]),
    ];
    return { id: task.id, ok: problems.length === 0, problems, failingBefore: before.failing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
