import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { SANDBOX_ENV } from '../support/sandbox';
import { ServiceProcess, launchService } from '../support/processes';
import { createTestDatabase } from '../support/test-database';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const DISK_MB = 6;
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * The worker process runs in a mount namespace of its own (unshare -m) where its workspaces
 * directory is a 6 MiB tmpfs: a real, small disk that jobs (or anything else) can fill. Needs
 * root or CAP_SYS_ADMIN, which CI has (it installs packages with apt-get).
 */
describe('fault: the disk of the workspaces fills up', () => {
  let fake: FakeModel;
  let root: string;
  let workspaces: string;
  let server: ServiceProcess;
  /** Runs a shell command inside the worker's mount namespace (where the small disk is mounted). */
  const inWorker = (script: string) => execFileSync('nsenter', ['-t', String(server.pid), '-m', 'sh', '-c', script], { encoding: 'utf8' });
  const usedKb = () => Number(inWorker(`df -k --output=used ${workspaces} | tail -1`).trim());

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-disk-full-'));
    chmodSync(root, 0o777);
    workspaces = join(root, 'data', 'workspaces');
    mkdirSync(workspaces, { recursive: true });
    server = await launchService({
      env: {
        DATABASE_URL: await createTestDatabase(),
        DATA_DIR: join(root, 'data'),
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: fake.url,
        MODEL_MAX_RETRIES: '0',
        WORKER_CONCURRENCY: '1',
        ...SANDBOX_ENV,
      },
      prefix: [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs -o size=${DISK_MB}m aict-test-disk "${workspaces}" && exec "$@"`,
        'sh',
      ],
    });
    await server.ready();
  });
  afterAll(async () => {
    await server?.stop(5_000);
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const runJob = async (repo: string, goal: string) => {
    const created = await api(server.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const ended = (id: string) =>
    waitFor(
      async () => {
        const j = (await api(server.url, 'GET', `/api/jobs/${id}`)).body;
        return ['succeeded', 'failed', 'aborted'].includes(j.status) ? j : null;
      },
      60_000,
      `job ${id} to end`,
    );

  it('fails a job whose repository does not fit with disk_full, and leaves no partial clone behind', async () => {
    const repo = await makeRepo('calc-js', join(root, 'big'));
    writeFileSync(join(repo, 'blob.bin'), randomBytes(DISK_MB * 1024 * 1024));
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', 'blob.bin');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'a big file');
    const goal = 'fix the subtract bug in src/calc.js [disk-big]';
    fake.addScenario({ match: { contains: goal }, roles: { builder: [reply('Done.')] } });
    const job = await ended(await runJob(repo, goal));
    expect(job.status).toBe('failed');
    expect(job.error.code, JSON.stringify(job.error)).toBe('disk_full');
    expect(job.error.message).toMatch(/space/i);
    expect(inWorker(`ls -A ${workspaces}`).trim()).toBe('');
    expect(usedKb()).toBeLessThan(100);
  });

  it('fails a job clean when the disk fills up mid-job: the file is not half-written, and the next job works', async () => {
    const repo = await makeRepo('calc-js', join(root, 'small'));
    const goal = 'fix the subtract bug in src/calc.js [disk-mid]';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply(toolUse('read_file', { path: 'src/calc.js' })),
          { ...reply(toolUse('edit_file', FIX)), delayMs: 1_500 },
          reply('Done.'),
        ],
      },
    });
    const id = await runJob(repo, goal);
    await waitFor(
      async () => (await api(server.url, 'GET', `/api/events?jobId=${id}&type=tool_call`)).body.items.length === 1,
      30_000,
      'the first read',
    );
    // Something else fills the disk while the model thinks.
    inWorker(`dd if=/dev/zero of=${workspaces}/filler bs=64k 2>/dev/null || true`);
    const job = await ended(id);
    expect(job.status).toBe('failed');
    expect(job.error.code, JSON.stringify(job.error)).toBe('disk_full');
    const calls = (await api(server.url, 'GET', `/api/events?jobId=${id}&type=tool_call`)).body.items;
    expect(calls.map((e: any) => `${e.data.tool}:${e.data.ok ? 'ok' : e.data.result.error.code}`)).toEqual([
      'read_file:ok',
      'edit_file:disk_full',
    ]);
    // The edit did not leave a truncated file: the workspace's calc.js is the original, whole.
    const workspaceFile = inWorker(`cat ${workspaces}/${id}/src/calc.js 2>/dev/null || true`);
    if (workspaceFile) expect(workspaceFile).toContain('return a + b;');
    expect((await api(server.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);

    // Once there is room again, the same worker takes the next job to the end.
    inWorker(`rm -f ${workspaces}/filler`);
    const goal2 = 'fix the subtract bug in src/calc.js [disk-after]';
    fake.addScenario({
      match: { contains: goal2 },
      roles: {
        builder: [
          reply(toolUse('edit_file', FIX)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix' })),
          reply('Done.'),
        ],
      },
    });
    const next = await ended(await runJob(await makeRepo('calc-js', join(root, 'after')), goal2));
    expect(next.status, JSON.stringify(next.error)).toBe('succeeded');
  });
});
