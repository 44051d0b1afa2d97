// Runs after `npm install`: builds the TDLN native addon (Rust, release) when it is missing or older
// than its sources, then the server. Fails with a clear message when Rust is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const native = join(root, 'native');
const addon = readdirSync(join(native, 'binding')).find((f) => f.endsWith('.node'));

function newest(dir) {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'target' || name === 'binding' || name === 'node_modules') continue;
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

const stale = !addon || statSync(join(native, 'binding', addon)).mtimeMs < newest(native);
if (stale && process.env.AICT_SKIP_NATIVE_BUILD !== '1') {
  const cargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  if (cargo.status !== 0) {
    console.error(
      '\nThe TDLN engine is written in Rust: install Rust (https://rustup.rs) so cargo is on PATH, then run `npm install` again.\n',
    );
    process.exit(1);
  }
  console.log('building the TDLN native addon (release; a few minutes the first time)...');
  execFileSync('npm', ['run', 'build:native'], { cwd: root, stdio: 'inherit' });
}
if (existsSync(join(root, 'scripts', 'build.mjs')))
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
// The dashboard (apps/web/dist, served at /) needs the dev dependencies (Vite, openapi-typescript).
if (existsSync(join(root, 'apps', 'web', 'vite.config.mts')) && existsSync(join(root, 'node_modules', 'vite')))
  execFileSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });

// The test sandbox: say now, not at the first job, when bubblewrap is missing on Linux.
if (process.platform === 'linux' && spawnSync('bwrap', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.warn(
    '\nNote: bubblewrap (bwrap) is not installed. Jobs run repository tests and linters in a bubblewrap sandbox;\n' +
      'without it, jobs that change code fail with sandbox_unavailable. Install it with `sudo apt-get install bubblewrap`\n' +
      '(Fedora: `sudo dnf install bubblewrap`), or set SANDBOX=none to run tests without isolation (trusted repositories only).\n',
  );
}
