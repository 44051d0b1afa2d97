// The eval's task set: each task is a directory under bench/eval/tasks holding task.json, the
// repository as the upstream package was before the fix (repo/, or, for tasks cut from the same
// upstream release, one shared copy under bench/eval/upstream named by task.json's "repo"), the
// upstream tests that decide it (acceptance/) and the upstream fix (fix.patch, used to check the
// task and by the scripted model). Where each comes from: bench/eval/SOURCES.md. At run time a
// task becomes a git repository the server can work on.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const evalRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
export const projectRoot = resolve(evalRoot, '../..');
export const tasksRoot = join(evalRoot, 'tasks');
export const upstreamRoot = join(evalRoot, 'upstream');

const LANGUAGES = ['javascript', 'typescript', 'python'];
const SPLITS = ['dev', 'holdout'];
const RUNTIMES = ['node', 'typescript', 'tape'];

/** Every task, sorted by id, each checked for the fields the harness needs. */
export function loadTasks() {
  return readdirSync(tasksRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => loadTask(entry.name))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function loadTask(id) {
  const dir = join(tasksRoot, id);
  const task = JSON.parse(readFileSync(join(dir, 'task.json'), 'utf8'));
  const problems = [];
  if (task.id !== id) problems.push(`id must be the directory name "${id}"`);
  if (!LANGUAGES.includes(task.language)) problems.push(`language must be one of ${LANGUAGES.join(', ')}`);
  if (!SPLITS.includes(task.split)) problems.push(`split must be one of ${SPLITS.join(', ')}`);
  if (typeof task.goal !== 'string' || task.goal.length < 20) problems.push('goal must be the request, in words');
  if (!Array.isArray(task.test) || !task.test.length) problems.push('test must be an argument vector');
  if (!Array.isArray(task.acceptance) || !task.acceptance.length) problems.push('acceptance must list the upstream test files');
  for (const runtime of task.runtime ?? []) if (!RUNTIMES.includes(runtime)) problems.push(`unknown runtime ${runtime}`);
  for (const file of task.acceptance ?? []) if (!existsSync(join(dir, 'acceptance', file))) problems.push(`acceptance/${file} is missing`);
  for (const key of ['package', 'registry', 'repository', 'version', 'fixedIn', 'license', 'defect', 'documented']) {
    if (!task.upstream?.[key]) problems.push(`upstream.${key} is missing`);
  }
  if (task.repo !== undefined && (typeof task.repo !== 'string' || !/^[\w.-]+$/.test(task.repo) || task.repo.startsWith('.'))) {
    problems.push('repo must name a directory of bench/eval/upstream');
  }
  const repoDir = typeof task.repo === 'string' ? join(upstreamRoot, task.repo) : join(dir, 'repo');
  if (!existsSync(repoDir)) problems.push(`${typeof task.repo === 'string' ? `upstream/${task.repo}/` : 'repo/'} is missing`);
  if (!existsSync(join(dir, 'fix.patch'))) problems.push('fix.patch is missing');
  if (problems.length) throw new Error(`task ${id}: ${problems.join('; ')}`);
  return { ...task, dir, repoDir };
}

/** Picks tasks by id list and split; unknown ids are an error. */
export function selectTasks(all, { ids, split }) {
  if (ids) {
    const unknown = ids.filter((id) => !all.some((t) => t.id === id));
    if (unknown.length) throw new Error(`unknown task(s): ${unknown.join(', ')} (known: ${all.map((t) => t.id).join(', ')})`);
  }
  return all.filter((t) => (!ids || ids.includes(t.id)) && (!split || split === 'all' || t.split === split));
}

/** Copies the test runtime a task names into a checkout: runner shims and the TypeScript compiler. */
export function installRuntime(task, dir) {
  const runtimes = task.runtime ?? [];
  if (runtimes.includes('node')) {
    cpSync(join(evalRoot, 'runtime'), join(dir, 'node_modules/.eval'), { recursive: true, filter: (src) => !src.endsWith('tape.cjs') });
  }
  if (runtimes.includes('typescript')) {
    const ts = join(projectRoot, 'node_modules/typescript');
    mkdirSync(join(dir, 'node_modules/typescript/lib'), { recursive: true });
    cpSync(join(ts, 'package.json'), join(dir, 'node_modules/typescript/package.json'));
    cpSync(join(ts, 'lib/typescript.js'), join(dir, 'node_modules/typescript/lib/typescript.js'));
    cpSync(join(ts, 'LICENSE.txt'), join(dir, 'node_modules/typescript/LICENSE.txt'));
  }
  if (runtimes.includes('tape')) {
    mkdirSync(join(dir, 'node_modules/tape'), { recursive: true });
    cpSync(join(evalRoot, 'runtime/tape.cjs'), join(dir, 'node_modules/tape/index.js'));
    writeFileSync(join(dir, 'node_modules/tape/package.json'), '{ "name": "tape", "version": "0.0.0-eval", "main": "index.js" }\n');
  }
}

/** The `.aict.yml` that tells the server how the task's tests run. */
export function aictYml(task) {
  return `# The package's tests, as the eval runs them (bench/eval/tasks/${task.id}/task.json).\ntest: ${JSON.stringify(task.test)}\n`;
}

export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'aict eval',
  GIT_AUTHOR_EMAIL: 'eval@localhost',
  GIT_COMMITTER_NAME: 'aict eval',
  GIT_COMMITTER_EMAIL: 'eval@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd, ...args) {
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', ...args], {
    cwd,
    env: gitEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/**
 * Turns a task into a git repository at `dir`: the upstream files, the test runtime and
 * `.aict.yml`, one commit on `main`. Returns the commit.
 */
export function materialize(task, dir) {
  cpSync(task.repoDir, dir, { recursive: true });
  installRuntime(task, dir);
  writeFileSync(join(dir, '.aict.yml'), aictYml(task));
  chmodSync(dir, 0o755);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  git(dir, 'add', '-A');
  git(dir, 'add', '-f', '--', '.');
  git(dir, 'commit', '--quiet', '-m', `${task.upstream.package} ${task.upstream.version} (eval task ${task.id})`);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Copies the task's acceptance tests and test runtime over a checkout (whatever the job did to them). */
export function overlayAcceptance(task, dir) {
  for (const file of task.acceptance) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(task.dir, 'acceptance', file), join(dir, file));
  }
  installRuntime(task, dir);
}
