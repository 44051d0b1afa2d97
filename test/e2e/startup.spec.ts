import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port';
import { api, waitFor } from '../support/http';

const main = resolve(__dirname, '../../dist/apps/server/src/main.js');

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(env: Record<string, string>, args: string[] = [], cwd?: string): Server {
  let output = '';
  const child = spawn(process.execPath, [main, ...args], {
    cwd,
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

describe('starting the service as a process (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aict-start-'));
  chmodSync(dir, 0o777);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts an embedded PostgreSQL, keeps data across a restart, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { DATA_DIR: join(dir, 'data'), PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()) };
    const base = `http://127.0.0.1:${port}`;

    const first = launch(env);
    await waitFor(
      async () => (await api(base, 'GET', '/api/health/ready').catch(() => ({ status: 0 }))).status === 200,
      90_000,
      'first start',
    );
    const job = await api(base, 'POST', '/api/jobs', { goal: 'fix the bug in src/restart.ts', repo: '/srv/repo' });
    expect(job.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output().slice(-2_000)).toBe(0);
    expect(first.output()).toContain('stopped');
    // The embedded server is gone with it: the port is free again.
    await expect(fetch(base)).rejects.toThrow();

    const second = launch(env, ['--role', 'api']);
    try {
      await waitFor(
        async () => (await api(base, 'GET', '/api/health/ready').catch(() => ({ status: 0 }))).status === 200,
        90_000,
        'second start',
      );
      const again = await api(base, 'GET', `/api/jobs/${job.body.id}`);
      expect(again.body.goal).toBe('fix the bug in src/restart.ts');
      expect((await api(base, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
      expect(second.output()).toContain('"role":"api"');
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output().slice(-2_000)).toBe(0);
    }
  }, 180_000);

  it('reads a .env file in the working directory, under the real environment', async () => {
    const cwd = mkdtempSync(join(dir, 'envfile-'));
    writeFileSync(join(cwd, '.env'), 'ROLE=boss\nPORT=eighty\n');
    // PORT comes from the real environment and wins; ROLE comes from the file and is checked like any setting.
    const server = launch({ DATA_DIR: join(cwd, 'data'), PORT: '0' }, [], cwd);
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/ROLE: must be one of api, worker, all/);
    expect(server.output()).not.toMatch(/PORT/);
  });

  it('refuses to start (exit 2) when GITHUB_REPO_MAP sends webhook jobs to a repository REPO_ALLOW does not allow', async () => {
    const server = launch({
      DATA_DIR: join(dir, 'repo-map'),
      HOST: '0.0.0.0',
      AUTH: 'on',
      REPO_ALLOW: '/srv/repos',
      GITHUB_REPO_MAP: JSON.stringify({ 'acme/shop': 'ssh://git@10.0.0.5/internal.git' }),
    });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/GITHUB_REPO_MAP: "acme\/shop" → Repository ssh:\/\/git@10\.0\.0\.5\/internal\.git is not allowed/);
  });

  it('refuses to start (exit 2) with a stages file that names a role the runtime does not know, and stops its database', async () => {
    const file = join(dir, 'stages-unknown-role.toml');
    const stage = (name: string, role: string, tools: string, share: number, skip = false) =>
      `[[stages]]\nname = "${name}"\nrole = "${role}"\ntools = [${tools}]\nbudget_share = ${share}\nskip_when_read_only = ${skip}\n`;
    writeFileSync(
      file,
      [
        'id = "pipeline"\nversion = "1"\n',
        stage('intake', 'coordinator', '', 0),
        stage('plan', 'architect', '"read_file", "create_plan"', 0.5),
        stage('quality', 'system', '', 0),
        stage('render', 'coordinator', '', 0),
        stage('seal', 'system', '', 0),
      ].join('\n'),
    );
    const [port, pgPort] = [await freePort(), await freePort()];
    const server = launch({
      DATA_DIR: join(dir, 'stages'),
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      PIPELINE_STAGES_FILE: file,
    });
    expect(await server.exited, server.output().slice(-2_000)).toBe(2);
    expect(server.output()).toMatch(
      /PIPELINE_STAGES_FILE: invalid pipeline stages in .*stages-unknown-role\.toml: .*unknown role "architect"/,
    );
    // Nothing listens: neither the service nor its embedded PostgreSQL was left running.
    await expect(fetch(`http://127.0.0.1:${port}`)).rejects.toThrow();
    await expect(new Promise((done, fail) => connect(pgPort, '127.0.0.1').on('connect', done).on('error', fail))).rejects.toThrow(
      /ECONNREFUSED/,
    );
  }, 120_000);

  it('refuses to start on bad configuration and names each bad variable', async () => {
    const server = launch({ DATA_DIR: join(dir, 'bad'), PORT: 'eighty', ROLE: 'boss', MODEL_PROVIDER: 'azure' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/PORT: must be an integer/);
    expect(server.output()).toMatch(/ROLE: must be one of api, worker, all/);
    expect(server.output()).toMatch(/MODEL_PROVIDER: must be one of anthropic, openai \(got "azure"\)/);
  });

  it('refuses to start with a weak TruthPack signing key (all zeros, a pattern), exit code 2, naming TRUTHPACK_SIGNING_KEY', async () => {
    for (const key of ['0'.repeat(64), '01'.repeat(32)]) {
      const server = launch({ DATA_DIR: join(dir, 'weak-key'), TRUTHPACK_SIGNING_KEY: key });
      expect(await server.exited).toBe(2);
      expect(server.output()).toMatch(/TRUTHPACK_SIGNING_KEY: is a weak key .*openssl rand -hex 32/);
    }
  });
});
