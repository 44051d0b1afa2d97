// Runs a package's tests on node's built-in test runner: every file under the given directories
// whose name ends with the given suffix (node 20's `--test` finds only .js files by itself).
//   node node_modules/.eval/node-test.cjs [--ts] [--jest] [--tape] <suffix> <dir>...
// --ts: TypeScript files (ts-register.cjs); --jest: Jest's globals (jest-globals.cjs).
// Part of the eval's test runtime (bench/eval/runtime), not of the upstream package.
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const args = process.argv.slice(2);
const requires = [];
if (args.includes('--ts')) requires.push(join(__dirname, 'ts-register.cjs'));
if (args.includes('--jest')) requires.push(join(__dirname, 'jest-globals.cjs'));
const [suffix, ...dirs] = args.filter((a) => !a.startsWith('--'));
const walk = (dir) =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (name === 'node_modules') return [];
      return statSync(path).isDirectory() ? walk(path) : name.endsWith(suffix) ? [path] : [];
    });
const files = dirs.flatMap(walk);
if (!files.length) {
  console.error(`no test files ending in ${suffix} under ${dirs.join(', ')}`);
  process.exit(1);
}
const run = spawnSync(process.execPath, [...requires.flatMap((r) => ['--require', r]), '--test', ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
