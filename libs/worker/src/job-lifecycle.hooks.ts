import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Job, JobStatus } from '@app/jobs';

/** Runs inside the transaction that ends runs, with the jobs as they were and where they went. */
export type RunsEndedHook = (manager: EntityManager, ended: { job: Job; to: JobStatus }[]) => Promise<void>;

/**
 * Extension point of the worker: code that must happen atomically with a job's end (such as
 * queueing its evaluation) registers here instead of the worker knowing about it.
 */
@Injectable()
export class JobLifecycleHooks {
  private readonly runsEnded: RunsEndedHook[] = [];

  onRunsEnded(hook: RunsEndedHook): void {
    this.runsEnded.push(hook);
  }

  async runsEndedIn(manager: EntityManager, ended: { job: Job; to: JobStatus }[]): Promise<void> {
    if (ended.length === 0) return;
    for (const hook of this.runsEnded) await hook(manager, ended);
  }
}
