import { afterEach, describe, expect, it } from 'vitest';
import { JobHandlerRegistry, JobOutcome, QueueRepository, WorkerService } from '@app/worker';
import { CreateJobUseCase, JobsService } from '@app/jobs';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';
import { createTestDatabase } from '../support/test-database';

const repo = '/srv/repo';

describe('queue and worker', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close().catch(() => undefined)));
  });
  const start = async (
    env: Record<string, string>,
    databaseUrl?: string,
    handler?: (goal: string, signal: AbortSignal) => Promise<JobOutcome>,
  ) => {
    const t = await startTestApp({ env, databaseUrl });
    apps.push(t);
    if (handler)
      t.get<JobHandlerRegistry>(JobHandlerRegistry).replace('coordinator', { handle: (ctx) => handler(ctx.job.goal, ctx.signal) });
    return t;
  };
  const submit = (t: TestApp, goal: string, extra: Record<string, unknown> = {}) =>
    t.get<CreateJobUseCase>(CreateJobUseCase).execute({ goal, repo, source: 'api', actor: 'user', ...extra });

  it('runs each of many jobs exactly once across several concurrent workers', async () => {
    const databaseUrl = await createTestDatabase();
    const runs = new Map<string, number>();
    const workerOf = new Map<string, Set<number>>();
    const handler = (index: number) => async (goal: string) => {
      runs.set(goal, (runs.get(goal) ?? 0) + 1);
      workerOf.set(goal, new Set([...(workerOf.get(goal) ?? []), index]));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return { status: 'succeeded' } as JobOutcome;
    };
    const producer = await start({ ROLE: 'api' }, databaseUrl);
    const jobs = 120;
    await Promise.all(Array.from({ length: jobs }, (_, i) => submit(producer, `fix the bug in src/job-${i}.ts`)));
    for (let w = 0; w < 4; w++) await start({ ROLE: 'worker', WORKER_CONCURRENCY: '4', WORKER_CLAIM_BATCH: '3' }, databaseUrl, handler(w));

    const service = producer.get<JobsService>(JobsService);
    await waitFor(
      // The Evaluator's jobs for these succeed too: count only the jobs submitted here.
      async () => (await service.list({ status: 'succeeded', role: 'coordinator', limit: 500 })).items.length === jobs,
      30_000,
      'all jobs to succeed',
    );
    expect(runs.size).toBe(jobs);
    const twice = [...runs].filter(([, n]) => n !== 1).map(([goal]) => goal);
    // A job that ran twice comes with its story: the transitions the ledger recorded for it.
    const story = twice.length
      ? await producer.dataSource.query(
          `SELECT l.kind, l.summary, l.data FROM ledger l JOIN jobs j ON j.id = l.job_id WHERE j.goal = ANY($1::text[]) ORDER BY l.seq`,
          [twice],
        )
      : [];
    expect({ twice, story }).toEqual({ twice: [], story: [] });
    const usedWorkers = new Set([...workerOf.values()].flatMap((s) => [...s]));
    expect(usedWorkers.size).toBeGreaterThan(1);
    expect((await api(producer.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
    const { rows } = (await producer.dataSource
      .query(
        `SELECT count(*)::int AS n FROM ledger WHERE kind = 'job.status' AND job_id IN (SELECT id FROM jobs WHERE agent_role = 'coordinator')`,
      )
      .then((r: any) => ({ rows: r }))) as any;
    expect(rows[0].n).toBe(jobs * 3);
  });

  it('gives the job of a worker that stopped heartbeating to another worker, which completes it', async () => {
    const databaseUrl = await createTestDatabase();
    const producer = await start({ ROLE: 'api' }, databaseUrl);
    const job = await submit(producer, 'fix the bug in src/orphaned.ts');
    // A worker that claims and then dies: it never heartbeats nor finishes.
    const crashed = await producer.get<QueueRepository>(QueueRepository).claim('crashed-worker', ['mechanic', 'genius'], 1);
    expect(crashed.map((j) => j.id)).toEqual([job.id]);

    const ranOn: string[] = [];
    const survivor = await start({ ROLE: 'worker' }, databaseUrl, async () => {
      ranOn.push('survivor');
      return { status: 'succeeded', result: { by: 'survivor' } };
    });
    const service = producer.get<JobsService>(JobsService);
    const done = await waitFor(
      async () => {
        const j = await service.get(job.id);
        return j.status === 'succeeded' ? j : null;
      },
      20_000,
      'the orphaned job to succeed',
    );
    expect(done.attempts).toBe(1);
    expect(done.result).toEqual({ by: 'survivor' });
    expect(ranOn).toEqual(['survivor']);
    const ledger = (await api(producer.url, 'GET', `/api/jobs/${job.id}/ledger`)).body.filter((e: any) => e.kind === 'job.status');
    expect(ledger.map((e: any) => [e.data.to, e.data.reason])).toEqual([
      ['queued', 'created'],
      ['running', 'claimed'],
      ['queued', 'lease expired'],
      ['running', 'claimed'],
      ['succeeded', 'done'],
    ]);
    // The crashed worker coming back cannot overwrite the outcome.
    const late = await survivor
      .get<QueueRepository>(QueueRepository)
      .finish('crashed-worker', [{ jobId: job.id, to: 'failed', reason: 'late', wallMs: 1 }]);
    expect(late).toEqual([]);
    expect((await service.get(job.id)).status).toBe('succeeded');
  });

  it('fails a job with attempts_exhausted when its worker keeps dying', async () => {
    const databaseUrl = await createTestDatabase();
    const reaperOnly = await start({ ROLE: 'worker', WORKER_MODES: 'genius' }, databaseUrl);
    const job = await submit(reaperOnly, 'fix the bug in src/doomed.ts', { maxAttempts: 2 });
    const queue = reaperOnly.get<QueueRepository>(QueueRepository);
    const service = reaperOnly.get<JobsService>(JobsService);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await waitFor(async () => (await queue.claim(`dying-${attempt}`, ['mechanic'], 1)).length === 1, 10_000, `claim ${attempt}`);
      await waitFor(async () => (await service.get(job.id)).status !== 'running', 10_000, `lease ${attempt} to expire`);
    }
    const failed = await service.get(job.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, errorCode: 'attempts_exhausted' });
  });

  it('claims the highest priority first, then the oldest, and only modes the worker serves and jobs whose time has come', async () => {
    const t = await start({ ROLE: 'api' });
    const low = await submit(t, 'fix the bug in src/low.ts', { priority: 0 });
    const high = await submit(t, 'fix the bug in src/high.ts', { priority: 10 });
    const later = await submit(t, 'fix the bug in src/later.ts', { priority: 50 });
    await t.dataSource.query(`UPDATE jobs SET run_after = now() + interval '1 hour' WHERE id = $1`, [later.id]);
    const genius = await submit(t, 'fix the bug in src/genius.ts', { priority: 99, mode: 'genius' });
    const queue = t.get<QueueRepository>(QueueRepository);
    expect((await queue.claim('w', ['mechanic'], 1)).map((j) => j.id)).toEqual([high.id]);
    expect((await queue.claim('w', ['mechanic'], 5)).map((j) => j.id)).toEqual([low.id]);
    expect((await queue.claim('w', ['genius'], 5)).map((j) => j.id)).toEqual([genius.id]);
  });

  it('on shutdown lets a short job finish and hands a long one back to the queue without an attempt penalty', async () => {
    const databaseUrl = await createTestDatabase();
    const worker = await start({ ROLE: 'worker', WORKER_DRAIN_TIMEOUT_MS: '600' }, databaseUrl, async (goal, signal) => {
      if (goal === 'fix the bug in src/short.ts') {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return { status: 'succeeded' };
      }
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return { status: 'release' };
    });
    const short = await submit(worker, 'fix the bug in src/short.ts');
    const long = await submit(worker, 'fix the bug in src/long.ts');
    const service = worker.get<JobsService>(JobsService);
    await waitFor(
      async () => (await service.get(long.id)).status === 'running' && (await service.get(short.id)).status === 'running',
      10_000,
      'both running',
    );
    const observer = await start({ ROLE: 'api' }, databaseUrl);
    await worker.get<WorkerService>(WorkerService).stop();
    const observed = observer.get<JobsService>(JobsService);
    expect(await observed.get(short.id)).toMatchObject({ status: 'succeeded' });
    expect(await observed.get(long.id)).toMatchObject({ status: 'queued', attempts: 0, workerId: null });
  });
  it("does not mistake a job claimed during a heartbeat's round trip for one whose lease was lost", async () => {
    const gates = new Map<string, () => void>();
    const aborted: string[] = [];
    const runs: string[] = [];
    const t = await start({ WORKER_HEARTBEAT_MS: '50' }, undefined, async (goal, signal) => {
      runs.push(goal);
      signal.addEventListener('abort', () => aborted.push(goal));
      await new Promise<void>((resolve) => gates.set(goal, resolve));
      return signal.aborted ? { status: 'release' } : { status: 'succeeded' };
    });
    // Hold one heartbeat's answer (as a slow network would) while another job is claimed.
    const queue = t.get<QueueRepository>(QueueRepository);
    const heartbeat = queue.heartbeat.bind(queue);
    let hold: Promise<void> | null = null;
    let held = false;
    queue.heartbeat = async (workerId, ids) => {
      const answer = await heartbeat(workerId, ids);
      if (hold) {
        held = true;
        await hold;
      }
      return answer;
    };
    const first = await submit(t, 'fix the bug in src/first.ts');
    await waitFor(async () => gates.has('fix the bug in src/first.ts'), 10_000, 'the first job to run');
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    await waitFor(async () => held, 10_000, 'a heartbeat to be held');
    const second = await submit(t, 'fix the bug in src/second.ts');
    await waitFor(async () => gates.has('fix the bug in src/second.ts'), 10_000, 'the second job to run');
    hold = null;
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(aborted).toEqual([]);
    for (const resolve of gates.values()) resolve();
    const service = t.get<JobsService>(JobsService);
    await waitFor(
      async () => (await service.get(first.id)).status === 'succeeded' && (await service.get(second.id)).status === 'succeeded',
      10_000,
      'both to succeed',
    );
    expect(runs.sort()).toEqual(['fix the bug in src/first.ts', 'fix the bug in src/second.ts']);
  });

  it('claims jobs ahead of its free slots under its lease, starts them as slots free up without claiming again, and hands them back on shutdown', async () => {
    const databaseUrl = await createTestDatabase();
    const producer = await start({ ROLE: 'api' }, databaseUrl);
    const goals = ['fix the bug in src/a.ts', 'fix the bug in src/b.ts', 'fix the bug in src/c.ts', 'fix the bug in src/d.ts'];
    const jobs: { id: string }[] = [];
    for (const goal of goals) jobs.push(await submit(producer, goal));
    const gates = new Map<string, () => void>();
    const worker = await start(
      { ROLE: 'worker', WORKER_CONCURRENCY: '1', WORKER_LOCAL_QUEUE_SIZE: '2', WORKER_DRAIN_TIMEOUT_MS: '2000' },
      databaseUrl,
      async (goal) => {
        await new Promise<void>((resolve) => gates.set(goal, resolve));
        return { status: 'succeeded' };
      },
    );
    const service = worker.get<WorkerService>(WorkerService);
    const queue = worker.get<QueueRepository>(QueueRepository);
    const claims: number[] = [];
    const claim = queue.claim.bind(queue);
    queue.claim = async (workerId, modes, limit) => {
      const claimed = await claim(workerId, modes, limit);
      claims.push(claimed.length);
      return claimed;
    };
    await waitFor(async () => gates.has(goals[0]), 10_000, 'the first job to run');
    const observed = producer.get<JobsService>(JobsService);
    // One slot running, two claimed ahead (running, leased to this worker), one left in the queue.
    expect(service.claimedAheadJobIds.sort()).toEqual([jobs[1].id, jobs[2].id].sort());
    for (const job of jobs.slice(0, 3)) expect(await observed.get(job.id)).toMatchObject({ status: 'running', workerId: service.workerId });
    expect(await observed.get(jobs[3].id)).toMatchObject({ status: 'queued' });

    gates.get(goals[0])!();
    await waitFor(async () => gates.has(goals[1]), 10_000, 'the second job to start from the local queue');
    expect(claims).toEqual([]);
    expect(service.claimedAheadJobIds).toEqual([jobs[2].id]);

    const stopping = service.stop();
    await waitFor(async () => (await observed.get(jobs[2].id)).status === 'queued', 10_000, 'the claimed-ahead job to go back');
    gates.get(goals[1])!();
    await stopping;
    expect(await observed.get(jobs[0].id)).toMatchObject({ status: 'succeeded' });
    expect(await observed.get(jobs[1].id)).toMatchObject({ status: 'succeeded' });
    expect(await observed.get(jobs[2].id)).toMatchObject({ status: 'queued', attempts: 0, workerId: null });
    expect(gates.has(goals[2])).toBe(false);
  });

  it('ends a claimed-ahead job aborted without running it when it is cancelled, and hands back one not started in time', async () => {
    const gates = new Map<string, () => void>();
    const t = await start(
      { WORKER_CONCURRENCY: '1', WORKER_LOCAL_QUEUE_SIZE: '2', WORKER_LOCAL_QUEUE_TTL_MS: '400', WORKER_HEARTBEAT_MS: '100' },
      undefined,
      async (goal) => {
        await new Promise<void>((resolve) => gates.set(goal, resolve));
        return { status: 'succeeded' };
      },
    );
    const service = t.get<WorkerService>(WorkerService);
    // Keep the worker from claiming while the jobs are submitted, so all three come in one claim.
    const queue = t.get<QueueRepository>(QueueRepository);
    const claim = queue.claim.bind(queue);
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    queue.claim = async (workerId, modes, limit) => {
      await opened;
      return claim(workerId, modes, limit);
    };
    const first = await submit(t, 'fix the bug in src/first.ts');
    const cancelled = await submit(t, 'fix the bug in src/cancelled.ts');
    const stale = await submit(t, 'fix the bug in src/stale.ts');
    open();
    await waitFor(async () => service.claimedAheadJobIds.length === 2, 10_000, 'two jobs claimed ahead');
    expect((await api(t.url, 'POST', `/api/jobs/${cancelled.id}/cancel`)).status).toBe(200);
    const jobs = t.get<JobsService>(JobsService);
    await waitFor(async () => (await jobs.get(cancelled.id)).status === 'aborted', 10_000, 'the cancelled job to end');
    // Its slot stays busy past the local queue's time to live: the other claimed-ahead job goes back.
    await waitFor(async () => service.claimedAheadJobIds.length === 0, 10_000, 'the stale job to be handed back');
    const ledger = (await api(t.url, 'GET', `/api/jobs/${stale.id}/ledger`)).body;
    expect(JSON.stringify(ledger)).toContain('not started in time');
    gates.get('fix the bug in src/first.ts')!();
    await waitFor(async () => gates.has('fix the bug in src/stale.ts'), 10_000, 'the stale job to run after all');
    gates.get('fix the bug in src/stale.ts')!();
    await waitFor(async () => (await jobs.get(stale.id)).status === 'succeeded', 10_000, 'the stale job to succeed');
    expect(gates.has('fix the bug in src/cancelled.ts')).toBe(false);
    expect(await jobs.get(first.id)).toMatchObject({ status: 'succeeded' });
  });
});
