import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDraft, EventsService } from '@app/events';
import { CreateJobUseCase, JobsService } from '@app/jobs';
import { JobHandlerRegistry, QueueRepository } from '@app/worker';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

describe('notifications made from events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_CONCURRENCY: '10', WORKER_LOCAL_QUEUE_SIZE: '0' } });
  });
  afterAll(async () => t?.close());

  it('writes the notifications of a burst of job events together, in one transaction, each once', async () => {
    const gates: (() => void)[] = [];
    t.get<JobHandlerRegistry>(JobHandlerRegistry).replace('coordinator', {
      handle: () => new Promise((resolve) => gates.push(() => resolve({ status: 'succeeded' }))),
    });
    // Hold the claim until all jobs are queued, so one claim (one transaction) starts all of them.
    const queue = t.get<QueueRepository>(QueueRepository);
    const claim = queue.claim.bind(queue);
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    queue.claim = async (workerId, modes, limit) => {
      await opened;
      return claim(workerId, modes, limit);
    };
    const events = t.get<EventsService>(EventsService);
    const record = events.record.bind(events);
    const notificationWrites: EventDraft[][] = [];
    events.record = async (manager, drafts, alsoNotify) => {
      if (drafts.some((d) => d.type === 'notification')) notificationWrites.push(drafts);
      return record(manager, drafts, alsoNotify);
    };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push(
        (
          await t
            .get<CreateJobUseCase>(CreateJobUseCase)
            .execute({ goal: `fix the bug in src/burst-${i}.ts`, repo: '/srv/repo', source: 'api', actor: 'user' })
        ).id,
      );
    open();
    const started = async () =>
      (await api(t.url, 'GET', '/api/notifications?limit=100')).body.items.filter(
        (n: { kind: string; jobId: string }) => n.kind === 'job_started' && ids.includes(n.jobId),
      );
    await waitFor(async () => (await started()).length === 10, 10_000, 'ten job_started notifications');
    expect(notificationWrites.flat()).toHaveLength(10);
    expect(notificationWrites.length).toBeLessThanOrEqual(2);
    expect(new Set((await started()).map((n: { jobId: string }) => n.jobId)).size).toBe(10);
    gates.forEach((release) => release());
    const jobs = t.get<JobsService>(JobsService);
    await waitFor(
      async () => (await Promise.all(ids.map((id) => jobs.get(id)))).every((j) => j.status === 'succeeded'),
      10_000,
      'all to succeed',
    );
  });
});
