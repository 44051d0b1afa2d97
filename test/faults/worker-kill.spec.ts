import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { ServiceProcess, launchService } from '../support/processes';
import { SANDBOX_ENV } from '../support/sandbox';
import { connect, createTestDatabase } from '../support/test-database';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

describe('fault: a worker process is killed with SIGKILL in the middle of a job', () => {
  let fake: FakeModel;
  let root: string;
  let databaseUrl: string;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-kill-'));
    chmodSync(root, 0o777);
    databaseUrl = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000)));
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finishes the job once on the other worker: one commit, one success, budget settled, ledger intact', async () => {
    const repo = await makeRepo('calc-js', join(root, 'origin'));
    const goal = 'fix the subtract bug in src/calc.js [kill-9]';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply(toolUse('edit_file', FIX)),
          // Whichever worker holds the job is inside this slow call when it is killed.
          { ...reply(toolUse('run_tests', {})), delayMs: 4_000 },
          reply(toolUse('commit_changes', { message: 'Fix subtract: take b from a' })),
          reply('Fixed subtract; the tests pass.'),
        ],
      },
    });
    const common = {
      DATABASE_URL: databaseUrl,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: fake.url,
      MODEL_MAX_RETRIES: '0',
      WORKER_CONCURRENCY: '1',
      ...SANDBOX_ENV,
    };
    const apiServer = await launchService({ env: { ...common, ROLE: 'api', DATA_DIR: join(root, 'api') } });
    processes.push(apiServer);
    await apiServer.ready();
    const workers = [];
    for (const name of ['w1', 'w2']) {
      const worker = await launchService({ env: { ...common, ROLE: 'worker', DATA_DIR: join(root, name) } });
      processes.push(worker);
      workers.push(worker);
    }
    await Promise.all(workers.map((w) => w.ready()));

    const created = await api(apiServer.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const toolCalls = async () => (await api(apiServer.url, 'GET', `/api/events?jobId=${id}&type=tool_call&limit=1000`)).body.items;
    await waitFor(async () => (await toolCalls()).length === 1, 30_000, 'the first edit');

    // SIGKILL the process that holds the job once the edit is checkpointed (it is then in the slow
    // model call): no drain, no release, no last heartbeat.
    const db = await connect(databaseUrl);
    try {
      await waitFor(
        async () => {
          const [row] = (await db.query(`SELECT checkpoint::text AS c FROM jobs WHERE id = $1`, [id])).rows;
          return row.c?.includes('return a - b;');
        },
        15_000,
        'the checkpoint with the edit',
      );
      const [{ worker_id: holder }] = (await db.query('SELECT worker_id FROM jobs WHERE id = $1', [id])).rows;
      const victim = workers.find((w) => holder.split(':')[1] === String(w.pid));
      expect(victim, `holder ${holder}`).toBeDefined();
      victim!.child.kill('SIGKILL');
      expect(await victim!.exited).toBeNull();
      const survivor = workers.find((w) => w !== victim)!;

      const job = await waitFor(
        async () => {
          const j = (await api(apiServer.url, 'GET', `/api/jobs/${id}`)).body;
          return ['succeeded', 'failed', 'aborted'].includes(j.status) ? j : null;
        },
        60_000,
        'the job to finish on the surviving worker',
      );
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');

      // The survivor did the rest from the checkpoint: the edit was not redone, the commit made once.
      const calls = await toolCalls();
      const survivorId = (
        await db.query(
          `SELECT DISTINCT data->>'workerId' AS w FROM events WHERE job_id = $1 AND type = 'tool_call' AND data->>'workerId' NOT LIKE $2`,
          [id, `%:${victim!.pid}:%`],
        )
      ).rows.map((r) => r.w);
      expect(survivorId).toHaveLength(1);
      expect(survivorId[0].split(':')[1]).toBe(String(survivor.pid));
      expect(calls.map((e: any) => e.data.tool)).toEqual(['edit_file', 'run_tests', 'commit_changes']);
      expect(calls.filter((e: any) => e.data.tool === 'commit_changes')).toHaveLength(1);

      // One commit on the job's branch in the origin repository, and its tests pass there.
      expect(git(repo, 'rev-list', '--count', `main..aict/${id}`)).toBe('1');
      expect(git(repo, 'rev-parse', `aict/${id}`)).toBe(job.result.commit);
      git(repo, 'checkout', '--quiet', `aict/${id}`);
      execFileSync('node', ['--test'], { cwd: repo, stdio: 'pipe' });
      git(repo, 'checkout', '--quiet', 'main');

      // Nothing is left reserved by the dead worker's call; what was spent is on the job.
      const [row] = (
        await db.query('SELECT reserved_tokens, reserved_cost_cents, used_tokens, worker_id, lease_expires_at FROM jobs WHERE id = $1', [
          id,
        ])
      ).rows;
      expect([Number(row.reserved_tokens), Number(row.reserved_cost_cents)]).toEqual([0, 0]);
      expect(Number(row.used_tokens)).toBeGreaterThan(0);
      expect([row.worker_id, row.lease_expires_at]).toEqual([null, null]);

      // The ledger shows the lease expiry and exactly one success, and its chain verifies.
      const transitions = (await db.query(`SELECT data FROM ledger WHERE job_id = $1 AND kind = 'job.status' ORDER BY seq`, [id])).rows.map(
        (r) => r.data,
      );
      const to = (status: string) => transitions.filter((p: any) => p.to === status).length;
      expect(to('succeeded')).toBe(1);
      expect(to('running')).toBe(2);
      const expiry = transitions.find((p: any) => p.reason === 'lease expired');
      expect(expiry).toMatchObject({ from: 'running', to: 'queued', previousWorker: holder });
      expect(expiry.releasedReservation.tokens).toBeGreaterThan(0);
      expect((await api(apiServer.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
    } finally {
      await db.end();
    }
  }, 150_000);
});
