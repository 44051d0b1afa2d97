import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaitingReminders } from '@app/jobs';
import { WorkspaceJanitor } from '@app/team';
import { WorkspaceManager } from '@app/tools';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const repo = '/srv/repos/shop';
const TIMERS = ['workspace-janitor', 'waiting-reminders', 'watcher'];

describe('housekeeping: workspace janitor, reminders of waiting jobs, and their timers', () => {
  // An API process: no worker takes the jobs these tests put into the states they need.
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api', REMINDER_AFTER_MS: '60000', WORKSPACE_RETENTION_MS: '3600000' } });
  });
  afterAll(async () => t?.close());

  const createJob = async (goal: string): Promise<string> => {
    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  const waitSince = (id: string, since: string, question: string) =>
    t.dataSource.query(`UPDATE jobs SET status = 'waiting_human', pending_question = $2, updated_at = now() - $3::interval WHERE id = $1`, [
      id,
      JSON.stringify({ kind: 'question', askedBy: 'planner', question }),
      since,
    ]);

  it('reminds once per wait of each job that has waited for a person longer than REMINDER_AFTER_MS, and not of one that has just started waiting', async () => {
    const long = await createJob('fix the failing login test in src/auth.ts');
    const recent = await createJob('fix the failing signup test in src/auth.ts');
    await waitSince(long, '2 minutes', 'Which branch should I use?');
    await waitSince(recent, '0 seconds', 'Which test?');
    const reminders = t.get<WaitingReminders>(WaitingReminders);

    expect(await reminders.remindWaiting()).toBe(1);
    expect(await reminders.remindWaiting()).toBe(0);
    const sent = await t.dataSource.query(`SELECT job_id, summary FROM events WHERE type = 'reminder'`);
    expect(sent).toEqual([{ job_id: long, summary: 'still waiting for a person: Which branch should I use?' }]);

    // A new wait (answered, then asked again) that has lasted long enough gets a reminder of its own.
    await t.dataSource.query(`UPDATE events SET created_at = now() - interval '10 minutes' WHERE type = 'reminder'`);
    await waitSince(long, '2 minutes', 'Which branch now?');
    expect(await reminders.remindWaiting()).toBe(1);
  });

  it('removes the workspaces of jobs that ended longer ago than WORKSPACE_RETENTION_MS and keeps those of recent and unfinished jobs', async () => {
    const ended = await createJob('fix the failing cart test in src/cart.ts');
    const justEnded = await createJob('fix the failing checkout test in src/checkout.ts');
    const queued = await createJob('fix the failing search test in src/search.ts');
    await t.dataSource.query(`UPDATE jobs SET status = 'succeeded', finished_at = now() - interval '2 hours' WHERE id = $1`, [ended]);
    await t.dataSource.query(`UPDATE jobs SET status = 'failed', finished_at = now() - interval '1 minute' WHERE id = $1`, [justEnded]);
    const dirOf = (id: string) => join(t.get<WorkspaceManager>(WorkspaceManager).workspacesDir, id);
    const ids = [ended, justEnded, queued];
    for (const id of ids) mkdirSync(dirOf(id), { recursive: true });
    try {
      expect(await t.get<WorkspaceJanitor>(WorkspaceJanitor).cleanWorkspaces()).toEqual([ended]);
      expect(ids.map((id) => existsSync(dirOf(id)))).toEqual([false, true, true]);
    } finally {
      for (const id of ids) rmSync(dirOf(id), { recursive: true, force: true });
    }
  });

  it('runs the janitor, the reminders and the Watcher on timers in worker processes, and not in API processes', async () => {
    expect(
      t
        .get<SchedulerRegistry>(SchedulerRegistry)
        .getIntervals()
        .filter((name) => TIMERS.includes(name)),
    ).toEqual([]);
    const worker = await startTestApp({ env: { ROLE: 'worker' } });
    try {
      expect(worker.get<SchedulerRegistry>(SchedulerRegistry).getIntervals()).toEqual(expect.arrayContaining(TIMERS));
    } finally {
      await worker.close();
    }
  });
});
