import { IncomingMessage, Server, get } from 'node:http';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsService } from '@app/events';
import { JobHandlerRegistry } from '@app/worker';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';
import { SseClient } from '../support/sse-client';

const repo = '/srv/repo';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live events over SSE', () => {
  let t: TestApp;
  /** Per-goal gates the handler waits on between progress events. */
  const gates = new Map<string, { release: () => void; wait: Promise<void> }[]>();
  const gate = (goal: string, count: number) => {
    const list = Array.from({ length: count }, () => {
      let release!: () => void;
      const wait = new Promise<void>((resolve) => (release = resolve));
      return { release, wait };
    });
    gates.set(goal, list);
    return list;
  };

  beforeAll(async () => {
    t = await startTestApp();
    t.get<JobHandlerRegistry>(JobHandlerRegistry).replace('coordinator', {
      handle: async (ctx) => {
        const steps = gates.get(ctx.job.goal) ?? [];
        for (let i = 0; i < steps.length; i++) {
          await steps[i].wait;
          await ctx.emit([{ type: 'progress', summary: `step ${i}`, data: { step: i } }]);
        }
        return { status: 'succeeded', result: { steps: steps.length } };
      },
    });
  });
  afterAll(async () => t?.close());

  it('sends the snapshot first, then every event and status change, then complete, and closes', async () => {
    const steps = gate('fix the bug in src/watch-me.ts', 3);
    const job = (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/watch-me.ts', repo })).body;
    const sse = new SseClient(`${t.url}/api/jobs/${job.id}/stream`);
    await sse.until((m) => m.some((x) => x.event === 'snapshot'));
    steps.forEach((s) => s.release());
    await sse.done;
    const kinds = sse.messages.map((m) =>
      m.event === 'event' ? `event:${m.data.summary}` : m.event === 'status' ? `status:${m.data.data.to}` : m.event,
    );
    expect(kinds).toEqual([
      'snapshot',
      'status:queued',
      'status:running',
      'event:step 0',
      'event:step 1',
      'event:step 2',
      'status:succeeded',
      'complete',
    ]);
    expect(sse.messages[0].data).toMatchObject({ id: job.id, goal: 'fix the bug in src/watch-me.ts' });
    const ids = sse.messages.filter((m) => m.id).map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(sse.status).toBe(200);
  });

  it('resumes after a dropped connection with Last-Event-ID: every missed event exactly once', async () => {
    const steps = gate('fix the bug in src/flaky-network.ts', 8);
    const job = (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/flaky-network.ts', repo })).body;
    const first = new SseClient(`${t.url}/api/jobs/${job.id}/stream`);
    steps[0].release();
    steps[1].release();
    await first.until((m) => m.filter((x) => x.event === 'event').length === 2);
    first.close();
    await first.done;
    const resumeFrom = first.lastEventId!;
    // Events happen while the client is away.
    for (const step of steps.slice(2, 5)) step.release();
    await waitFor(
      async () => (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=progress`)).body.items.length === 5,
      10_000,
      'progress while away',
    );

    const second = new SseClient(`${t.url}/api/jobs/${job.id}/stream`, { 'last-event-id': resumeFrom });
    await second.until((m) => m.filter((x) => x.event === 'event').length === 3);
    for (const step of steps.slice(5)) step.release();
    await second.done;

    const received = [...first.messages, ...second.messages].filter((m) => m.id).map((m) => Number(m.id));
    const stored = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&limit=1000`)).body.items.map((e: any) => e.id);
    expect(received).toEqual(stored);
    expect(new Set(received).size).toBe(received.length);
    expect(second.messages.at(-1)!.event).toBe('complete');
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const steps = gate('fix the bug in src/quiet-job.ts', 1);
    const job = (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/quiet-job.ts', repo })).body;
    const sse = new SseClient(`${t.url}/api/jobs/${job.id}/stream`);
    await sleep(t.config.sse.heartbeatMs * 1.5);
    expect(sse.comments).toContain('heartbeat');
    steps[0].release();
    await sse.done;
  });

  it('streams all events live, filtered and resumable, on /api/events/stream', async () => {
    const steps = gate('fix the bug in src/global-view.ts', 2);
    const all = new SseClient(`${t.url}/api/events/stream`);
    await all.until((m) => m.some((x) => x.event === 'snapshot'));
    const job = (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/global-view.ts', repo })).body;
    const only = new SseClient(`${t.url}/api/events/stream?jobId=${job.id}&lastEventId=0`);
    steps.forEach((s) => s.release());
    await all.until((m) => m.some((x) => x.event === 'status' && x.data.jobId === job.id && x.data.data.to === 'succeeded'));
    await only.until((m) => m.some((x) => x.event === 'status' && x.data.data.to === 'succeeded'));
    expect(only.messages.filter((m) => m.id).every((m) => m.data.jobId === job.id)).toBe(true);
    expect(only.messages.filter((m) => m.event === 'event')).toHaveLength(2);
    all.close();
    only.close();
  });

  it('ignores a malformed Last-Event-ID and answers 404 for the stream of a missing job', async () => {
    const job = (await api(t.url, 'POST', '/api/jobs', { goal: 'fix the bug in src/bad-resume-id.ts', repo })).body;
    await waitFor(async () => (await api(t.url, 'GET', `/api/jobs/${job.id}`)).body.status === 'succeeded', 10_000, 'job end');
    const sse = new SseClient(`${t.url}/api/jobs/${job.id}/stream`, { 'last-event-id': '1; DROP TABLE events; --' });
    await sse.done;
    expect(sse.messages.map((m) => m.event)).toEqual(['snapshot', 'status', 'status', 'status', 'complete']);
    const missing = await api(t.url, 'GET', '/api/jobs/00000000-0000-4000-8000-000000000000/stream');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('job_not_found');
  });

  it('holds a bounded buffer for a client that stops reading, and serves it every event from the table when it reads again', async () => {
    const serverSockets: Socket[] = [];
    const server = t.app.getHttpServer() as Server;
    const track = (socket: Socket) => serverSockets.push(socket);
    server.on('connection', track);
    const frozen = await new Promise<IncomingMessage>((resolve) => get(`${t.url}/api/events/stream`, resolve));
    server.off('connection', track);
    frozen.pause();
    const reading = new SseClient(`${t.url}/api/events/stream`);
    await reading.until((m) => m.some((x) => x.event === 'snapshot'));
    // About 16 MiB of events: more than the kernel's socket buffers take, so the rest waits in the server.
    const events = t.get<EventsService>(EventsService);
    const payload = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 1_000; i += 50)
      await events.recordNow(
        Array.from({ length: 50 }, (_, j) => ({ type: 'slow_reader_probe', summary: `probe ${i + j}`, data: { payload } })),
      );
    await reading.until((m) => m.filter((x) => x.data?.type === 'slow_reader_probe').length === 1_000, 30_000);
    const buffered = Math.max(...serverSockets.map((s) => s.writableLength));
    expect(buffered).toBeLessThan(1024 * 1024);

    const ids: number[] = [];
    let text = '';
    frozen.setEncoding('utf8');
    frozen.on('data', (chunk: string) => {
      text += chunk;
      let at: number;
      while ((at = text.indexOf('\n\n')) >= 0) {
        const id = /^id: (\d+)$/m.exec(text.slice(0, at))?.[1];
        if (id) ids.push(Number(id));
        text = text.slice(at + 2);
      }
    });
    frozen.resume();
    // Both subscribed to everything: from the first probe to the last, they must have the same ids.
    const probes = reading.messages.filter((m) => m.data?.type === 'slow_reader_probe').map((m) => Number(m.id));
    const inRange = (list: number[]) => list.filter((id) => id >= probes[0] && id <= probes.at(-1)!);
    const expected = inRange(reading.messages.filter((m) => m.id).map((m) => Number(m.id)));
    await waitFor(async () => ids.includes(probes.at(-1)!), 30_000, 'the slow reader to catch up');
    expect(inRange(ids)).toEqual(expected);
    frozen.destroy();
    reading.close();
  });
});
