import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port';
import { api, waitFor } from '../support/http';

const root = resolve(__dirname, '../..');

describe('the first hour: fast starts and a dev loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aict-dev-'));
  chmodSync(dir, 0o777);
  let dev: ChildProcess | undefined;
  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGTERM');
      await new Promise((done) => dev!.once('exit', done));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds only what is stale: a second build of unchanged sources writes nothing', () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });
    const before = statSync(join(root, 'dist/.built')).mtimeMs;
    const again = execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' });
    expect(again).toMatch(/dist\/ is up to date/);
    expect(statSync(join(root, 'dist/.built')).mtimeMs).toBe(before);
    // The dashboard likewise: built once if its sources changed, then left alone.
    execFileSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { cwd: root });
    expect(execFileSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { cwd: root, encoding: 'utf8' })).toMatch(/up to date/);
  }, 120_000);

  it('npm run dev rebuilds and restarts the server when a source changes', async () => {
    const port = await freePort();
    let output = '';
    dev = spawn(process.execPath, [join(root, 'scripts/dev.mjs'), '--no-web'], {
      cwd: root,
      env: {
        PATH: process.env.PATH!,
        AUTH: 'off',
        LOG_LEVEL: 'info',
        PORT: String(port),
        DATA_DIR: join(dir, 'data'),
        EMBEDDED_PG_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.on('data', (d) => (output += d));
    dev.stderr!.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const ready = () =>
      waitFor(
        async () => (await api(base, 'GET', '/api/health/ready').catch(() => ({ status: 0 }))).status === 200,
        90_000,
        'the dev server',
      );
    await ready();
    // A save: the file's time changes (its content stays as it is).
    const source = join(root, 'libs/common/src/index.ts');
    const now = new Date();
    utimesSync(source, now, now);
    await waitFor(async () => output.includes('restarting the server'), 60_000, 'the restart');
    await ready();
    expect(output).toMatch(/libs\/common\/src\/index\.ts changed|index\.ts changed/);
    expect(output).toMatch(/built \d+ files into dist/);
  }, 240_000);
});
