import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobHandlerRegistry, JobOutcome } from '@app/worker';
import { JobsService } from '@app/jobs';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const goal = 'fix the failing login test in src/auth.ts';
const repo = '/srv/repos/shop';

describe('jobs API', () => {
  let t: TestApp;
  /** Outcomes handed to running jobs by tests, keyed by goal. */
  const script = new Map<string, (signal: AbortSignal) => Promise<JobOutcome>>();
  /** The checkpoint each run of a goal was handed, in run order. */
  const handedCheckpoints = new Map<string, unknown[]>();

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_CONCURRENCY: '4' } });
    t.get<JobHandlerRegistry>(JobHandlerRegistry).replace('coordinator', {
      handle: async (ctx) => {
        handedCheckpoints.set(ctx.job.goal, [...(handedCheckpoints.get(ctx.job.goal) ?? []), ctx.job.checkpoint]);
        const run = script.get(ctx.job.goal);
        return run ? run(ctx.signal) : { status: 'succeeded', result: { echoed: ctx.job.goal } };
      },
    });
  });
  afterAll(async () => t?.close());

  const create = (body: Record<string, unknown> = {}) => api(t.url, 'POST', '/api/jobs', { goal, repo, ...body });
  const statusOf = async (id: string) => (await api(t.url, 'GET', `/api/jobs/${id}`)).body.status as string;
  const until = (id: string, status: string) => waitFor(async () => (await statusOf(id)) === status, 15_000, `job ${id} to be ${status}`);

  it('creates a job, runs it, and shows its result, caps and links', async () => {
    const created = await create({ priority: 5, maxSteps: 10 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ goal, repo, status: 'queued', mode: 'mechanic', role: 'coordinator', priority: 5 });
    expect(created.body.caps.maxSteps).toBe(10);
    expect(created.body.caps.maxTokens).toBe(t.config.jobs.modeCaps.mechanic.maxTokens);
    expect(created.body.links.stream).toBe(`/api/jobs/${created.body.id}/stream`);
    await until(created.body.id, 'succeeded');
    const detail = await api(t.url, 'GET', `/api/jobs/${created.body.id}`);
    expect(detail.body.result).toEqual({ echoed: goal });
    expect(detail.body.finishedAt).not.toBeNull();
  });

  it('lists jobs newest first with filters and a cursor that pages through all of them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ goal: `list-${i} ${goal}`, mode: 'genius' })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api(t.url, 'GET', `/api/jobs?mode=genius&role=coordinator&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((j: any) => j.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const none = await api(t.url, 'GET', '/api/jobs?status=waiting_human&mode=genius');
    expect(none.body.items).toEqual([]);
  });

  it('lists the jobs people asked for by default, and shows internal evaluation jobs on their parent job', async () => {
    const parent = (await create({ goal: `evaluated ${goal}` })).body.id;
    await until(parent, 'succeeded');
    const child = await waitFor(
      async () => (await api(t.url, 'GET', `/api/jobs/${parent}`)).body.children?.find((c: any) => c.role === 'evaluator'),
      15_000,
      'the evaluation job on its parent',
    );
    expect(child).toMatchObject({ role: 'evaluator', run: 1, usage: { steps: expect.any(Number), costCents: expect.any(Number) } });
    expect(child.status).toMatch(/^(queued|running|succeeded|failed)$/);

    const listed = (await api(t.url, 'GET', '/api/jobs?limit=500')).body.items as any[];
    expect(listed.some((j) => j.id === parent)).toBe(true);
    expect(listed.some((j) => j.id === child.id)).toBe(false);
    expect(listed.every((j) => j.role !== 'evaluator')).toBe(true);
    const builderJob = (await api(t.url, 'POST', '/api/jobs', { goal: `builder ${goal}`, repo, role: 'builder' })).body.id;
    expect((await api(t.url, 'GET', '/api/jobs?limit=500')).body.items.some((j: any) => j.id === builderJob)).toBe(true);
    // Asked for by role, internal jobs are listed like any other.
    const evaluations = (await api(t.url, 'GET', '/api/jobs?role=evaluator&limit=500')).body.items as any[];
    expect(evaluations.some((j) => j.id === child.id && j.parentJobId === parent)).toBe(true);
    expect((await api(t.url, 'GET', `/api/jobs/${child.id}`)).body.children).toEqual([]);
  });

  it('rejects bad input with 400 and lists every problem', async () => {
    const res = await api(t.url, 'POST', '/api/jobs', { goal: '', repo: 'not a repo', mode: 'wizard', priority: 1000, surprise: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const fields = res.body.error.details.problems.map((p: any) => p.field).sort();
    expect(fields).toEqual(['goal', 'mode', 'priority', 'repo', 'surprise']);
    expect(res.body.error.correlationId).toBe(res.headers.get('x-correlation-id'));
  });

  it.each([
    ['a missing body', undefined],
    ['a JSON array', '[1,2]'],
    ['malformed JSON', '{"goal":'],
    ['a goal of the wrong type', { goal: 42, repo }],
    ['caps above the server maximum', { goal, repo, maxSteps: 99_999 }],
    ['a conversation that does not exist', { goal, repo, conversationId: '00000000-0000-4000-8000-000000000000' }],
  ])('answers 400 for %s', async (_, body) => {
    const res = await api(t.url, 'POST', '/api/jobs', body as never, body === undefined ? { 'content-type': 'application/json' } : {});
    expect(res.status).toBe(400);
    expect(typeof res.body.error.code).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules/);
  });

  it('answers 400 for bad query values and ids, and 404 for a job that does not exist', async () => {
    expect((await api(t.url, 'GET', '/api/jobs?limit=0')).status).toBe(400);
    expect((await api(t.url, 'GET', '/api/jobs?status=sleeping')).status).toBe(400);
    expect((await api(t.url, 'GET', '/api/jobs?cursor=garbage')).body.error.code).toBe('invalid_cursor');
    expect((await api(t.url, 'GET', '/api/jobs?color=red')).status).toBe(400);
    expect((await api(t.url, 'GET', '/api/jobs/not-a-uuid')).status).toBe(400);
    const missing = await api(t.url, 'GET', '/api/jobs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('job_not_found');
    for (const action of ['cancel', 'retry']) {
      expect((await api(t.url, 'POST', `/api/jobs/00000000-0000-4000-8000-000000000000/${action}`)).status).toBe(404);
    }
    expect((await api(t.url, 'POST', '/api/jobs/00000000-0000-4000-8000-000000000000/respond', { action: 'approve' })).status).toBe(404);
    expect((await api(t.url, 'POST', '/api/jobs/00000000-0000-4000-8000-000000000000/respond', { action: 'shrug' })).status).toBe(400);
    expect((await api(t.url, 'GET', '/api/nothing-here')).status).toBe(404);
  });

  it('cancels a queued job at once', async () => {
    // An API-only instance on a database of its own: nothing claims, so the job stays queued.
    const apiOnly = await startTestApp({ env: { ROLE: 'api' } });
    try {
      const created = await api(apiOnly.url, 'POST', '/api/jobs', { goal, repo });
      expect(created.body.status).toBe('queued');
      const cancelled = await api(apiOnly.url, 'POST', `/api/jobs/${created.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('aborted');
      expect(cancelled.body.error.code).toBe('cancelled');
      const ledger = await api(apiOnly.url, 'GET', `/api/jobs/${created.body.id}/ledger`);
      expect(ledger.body.filter((e: any) => e.kind === 'job.status').map((e: any) => e.data.to)).toEqual(['queued', 'aborted']);
    } finally {
      await apiOnly.close();
    }
  });

  it('takes an action with a JSON content type and no body, as many HTTP clients send it', async () => {
    const held = 'fix the failing empty body test in src/empty.ts';
    script.set(
      held,
      (signal) =>
        new Promise<JobOutcome>((done) =>
          signal.addEventListener('abort', () => done({ status: 'failed', code: 'cancelled', message: 'cancelled' })),
        ),
    );
    const created = await create({ goal: held });
    expect(created.status).toBe(201);
    const cancelled = await api(t.url, 'POST', `/api/jobs/${created.body.id}/cancel`, undefined, { 'content-type': 'application/json' });
    expect(cancelled.status).toBe(200);
    expect(['aborted', 'cancelling']).toContain(cancelled.body.status);
    // A body that is there but not JSON is still refused.
    const bad = await api(t.url, 'POST', `/api/jobs/${created.body.id}/retry`, '{not json', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
  });

  it('cancels a running job cooperatively: running → cancelling → aborted', async () => {
    let sawAbort = false;
    // The handler takes a moment to wind down after the abort, as a real agent would.
    script.set(
      `running ${goal}`,
      (signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => ((sawAbort = true), setTimeout(() => resolve({ status: 'aborted' }), 300))),
        ),
    );
    const created = await create({ goal: `running ${goal}` });
    await until(created.body.id, 'running');
    const res = await api(t.url, 'POST', `/api/jobs/${created.body.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelling');
    const again = await api(t.url, 'POST', `/api/jobs/${created.body.id}/cancel`);
    expect(again.body.status).toBe('cancelling');
    await until(created.body.id, 'aborted');
    expect(sawAbort).toBe(true);
  });

  it('parks a job that needs a person, resumes it on an answer, and ends it on a reject', async () => {
    const asked = new Set<string>();
    const handler = (key: string) => async () => {
      if (!asked.has(key)) {
        asked.add(key);
        return { status: 'waiting_human', question: { kind: 'question', question: 'Which file?' } } as JobOutcome;
      }
      return { status: 'succeeded', result: { resumed: true } } as JobOutcome;
    };
    script.set(`ask ${goal}`, handler('ask'));
    script.set(`reject ${goal}`, handler('reject'));
    const ask = (await create({ goal: `ask ${goal}` })).body.id;
    const reject = (await create({ goal: `reject ${goal}` })).body.id;
    await until(ask, 'waiting_human');
    await until(reject, 'waiting_human');
    expect((await api(t.url, 'GET', `/api/jobs/${ask}`)).body.pendingQuestion).toMatchObject({ question: 'Which file?' });

    expect((await api(t.url, 'POST', `/api/jobs/${ask}/respond`, { action: 'answer' })).status).toBe(400);
    const answered = await api(t.url, 'POST', `/api/jobs/${ask}/respond`, { action: 'answer', answer: 'src/auth.ts' });
    expect(answered.status).toBe(200);
    await until(ask, 'succeeded');
    const ledger = await api(t.url, 'GET', `/api/jobs/${ask}/ledger`);
    expect(ledger.body.filter((e: any) => e.kind === 'job.status').map((e: any) => e.data.to)).toEqual([
      'queued',
      'running',
      'waiting_human',
      'queued',
      'running',
      'succeeded',
    ]);

    const rejected = await api(t.url, 'POST', `/api/jobs/${reject}/respond`, { action: 'reject' });
    expect(rejected.body.status).toBe('aborted');
    expect((await api(t.url, 'POST', `/api/jobs/${reject}/respond`, { action: 'approve' })).status).toBe(409);
  });

  it('never loads a checkpoint for a detail, a list or a snapshot, and hands it to the worker that resumes the job', async () => {
    const key = `checkpointed ${goal}`;
    let parked = false;
    script.set(key, async () => {
      if (parked) return { status: 'succeeded' };
      parked = true;
      return {
        status: 'waiting_human',
        question: { kind: 'question', question: 'Go on?' },
        checkpoint: { transcript: 'x'.repeat(10_000) },
      };
    });
    const id = (await create({ goal: key })).body.id;
    await until(id, 'waiting_human');
    const jobs = t.get<JobsService>(JobsService);
    expect((await jobs.get(id)).checkpoint).toBeUndefined();
    expect((await jobs.list({ limit: 50 })).items.find((j) => j.id === id)?.checkpoint).toBeUndefined();
    expect(await api(t.url, 'POST', `/api/jobs/${id}/respond`, { action: 'answer', answer: 'yes' })).toMatchObject({ status: 200 });
    await until(id, 'succeeded');
    expect(handedCheckpoints.get(key)).toEqual([null, { transcript: 'x'.repeat(10_000) }]);
  });

  it('cancels a waiting job at once', async () => {
    script.set(`wait ${goal}`, async () => ({ status: 'waiting_human', question: { kind: 'approval', question: 'May I?' } }));
    const id = (await create({ goal: `wait ${goal}` })).body.id;
    await until(id, 'waiting_human');
    expect((await api(t.url, 'POST', `/api/jobs/${id}/cancel`)).body.status).toBe('aborted');
  });

  it('answers 409 for every transition the state machine forbids, and retries failed jobs', async () => {
    script.set(`fail ${goal}`, async () => ({ status: 'failed', code: 'tests_failed', message: 'tests still fail' }));
    const failed = (await create({ goal: `fail ${goal}` })).body.id;
    const succeeded = (await create({ goal: `ok ${goal}` })).body.id;
    await until(failed, 'failed');
    await until(succeeded, 'succeeded');
    expect((await api(t.url, 'GET', `/api/jobs/${failed}`)).body.error).toEqual({ code: 'tests_failed', message: 'tests still fail' });

    for (const [id, action, body] of [
      [succeeded, 'cancel', undefined],
      [succeeded, 'retry', undefined],
      [succeeded, 'respond', { action: 'approve' }],
      [failed, 'cancel', undefined],
      [failed, 'respond', { action: 'answer', answer: 'x' }],
    ] as const) {
      const res = await api(t.url, 'POST', `/api/jobs/${id}/${action}`, body);
      expect(res.status, `${action} on ${id}`).toBe(409);
      expect(['invalid_transition', 'job_not_waiting']).toContain(res.body.error.code);
    }
    script.delete(`fail ${goal}`);
    const retried = await api(t.url, 'POST', `/api/jobs/${failed}/retry`);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0, error: null });
    await until(failed, 'succeeded');
  });

  it('retries in the mode and caps a body asks for, and refuses a body with a bad cap or mode without touching the job', async () => {
    const failing = `fail again ${goal}`;
    script.set(failing, async () => ({ status: 'failed', code: 'tests_failed', message: 'tests still fail' }));
    const id = (await create({ goal: failing })).body.id;
    await until(id, 'failed');
    const max = t.config.jobs.maxCaps;
    for (const [body, code] of [
      [{ maxSteps: 'lots' }, 'validation_failed'],
      [{ mode: 'wizard' }, 'validation_failed'],
      [{ maxSteps: max.maxSteps + 1 }, 'cap_above_maximum'],
    ] as const) {
      const res = await api(t.url, 'POST', `/api/jobs/${id}/retry`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    expect(await statusOf(id)).toBe('failed');
    script.delete(failing);
    const retried = await api(t.url, 'POST', `/api/jobs/${id}/retry`, { mode: 'genius' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'queued', mode: 'genius', caps: t.config.jobs.modeCaps.genius });
    await until(id, 'succeeded');
  });

  it('fails a job whose role has no handler with no_handler instead of hanging', async () => {
    // The API refuses such roles now; a job queued before that (or handed back by a worker that had
    // other handlers) still meets the worker's defence. The first run turns the job into one.
    const orphan = `orphan ${goal}`;
    script.set(orphan, async () => {
      await t.dataSource.query(`UPDATE jobs SET agent_role = 'watcher' WHERE goal = $1`, [orphan]);
      return { status: 'release' };
    });
    const id = (await create({ goal: orphan })).body.id;
    await until(id, 'failed');
    expect((await api(t.url, 'GET', `/api/jobs/${id}`)).body.error.code).toBe('no_handler');
  });

  it("keeps every job's status equal to the status re-derived from its ledger", async () => {
    const jobs = t.get<JobsService>(JobsService);
    const page = await jobs.list({ limit: 500 });
    // Evaluation jobs (queued when a job ends) are jobs too, and held to the same rule.
    expect(page.items.some((j) => j.role === 'evaluator')).toBe(true);
    expect(page.items.length).toBeGreaterThan(10);
    for (const job of page.items) {
      const check = await jobs.statusFromLedger(job.id);
      expect(check, job.id).toMatchObject({ consistent: true });
    }
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body).toMatchObject({ ok: true, firstBadSeq: null });
  });
});
