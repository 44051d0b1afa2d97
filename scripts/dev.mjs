// `npm run dev`: the server, rebuilt and restarted when its sources change, and the dashboard on
// Vite's dev server (hot reload, /api proxied to the server). Settings come from the environment
// and .env as for `npm start`. `--no-web` runs the server alone.
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const watched = ['apps/server/src', 'apps/cli/src', 'libs', 'test/fake-model'].map((p) => join(root, p));
const log = (line) => process.stdout.write(`[dev] ${line}\n`);

let server = null;
let stopping = false;

function build() {
  const run = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  return run.status === 0;
}

function startServer() {
  server = spawn(
    process.execPath,
    ['--enable-source-maps', join(root, 'dist/apps/server/src/main.js'), ...process.argv.slice(2).filter((a) => a !== '--no-web')],
    { cwd: root, stdio: 'inherit' },
  );
  const child = server;
  child.on('exit', (code, signal) => {
    if (server === child) server = null;
    if (!stopping && signal !== 'SIGTERM') log(`server exited (${signal ?? code}); it starts again on the next change`);
  });
}

function stopServer() {
  const child = server;
  if (!child) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

let timer = null;
let restarting = Promise.resolve();
function changed(file) {
  if (!file || !/\.ts$/.test(file) || /\.spec\.ts$/.test(file)) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    restarting = restarting.then(async () => {
      log(`${file} changed: rebuilding`);
      if (!build()) return log('the build failed; fix it and save again');
      await stopServer();
      log('restarting the server');
      startServer();
    });
  }, 150);
}

if (!build()) process.exit(1);
startServer();
const watchers = watched.map((dir) => watch(dir, { recursive: true }, (_event, file) => changed(file)));
const web = process.argv.includes('--no-web')
  ? null
  : spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'apps/web'], { cwd: root, stdio: 'inherit' });
log(`watching ${watched.length} source folders${web ? '; dashboard with hot reload on http://localhost:5173' : ''}`);

async function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const w of watchers) w.close();
  web?.kill('SIGTERM');
  await stopServer();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
