import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AdvisoryLock, DomainException } from '@app/common';
import { EventsService } from '@app/events';
import { LedgerActor, LedgerService } from '@app/ledger';
import { Job } from './entities/job.entity';
import { JobStatus, canTransition } from './job-status';
import { JobsErrorCode } from './jobs.errors';

/** The NOTIFY channel that wakes idle workers when a job becomes claimable. */
export const JOBS_CHANNEL = 'aict_jobs';
/** The NOTIFY channel that tells the worker holding a job to stop it. */
export const CANCEL_CHANNEL = 'aict_cancel';

/** Columns a transition may set along with the status. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'attempts'
    | 'run'
    | 'runAfter'
    | 'workerId'
    | 'leaseExpiresAt'
    | 'heartbeatAt'
    | 'cancelRequestedAt'
    | 'pendingQuestion'
    | 'humanResponse'
    | 'checkpoint'
    | 'result'
    | 'errorCode'
    | 'errorMessage'
    | 'startedAt'
    | 'finishedAt'
    | 'currentAction'
    | 'usedSteps'
    | 'usedTokens'
    | 'usedCostCents'
    | 'usedWallMs'
    | 'reservedTokens'
    | 'reservedCostCents'
    | 'mode'
    | 'maxSteps'
    | 'maxTokens'
    | 'maxCostCents'
    | 'maxWallMs'
  >
>;

/** One applied status change, to be written to the ledger and the event log. */
export interface TransitionRecord {
  job: Pick<Job, 'id' | 'traceId' | 'conversationId' | 'mode' | 'role'> & Partial<Pick<Job, 'goal' | 'repo'>>;
  from: JobStatus | null;
  to: JobStatus;
  actor: LedgerActor;
  reason?: string;
  data?: Record<string, unknown>;
}

/**
 * The one place job statuses change. Every change is validated against the state machine and
 * recorded in the ledger and the event log in the same transaction as the row update.
 */
@Injectable()
export class JobTransitions {
  constructor(
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
  ) {}

  /** Locks the job row, checks the move is allowed (409 if not), applies it and records it. */
  async move(
    manager: EntityManager,
    jobId: string,
    to: JobStatus,
    change: { actor: LedgerActor; reason?: string; patch?: JobPatch; data?: Record<string, unknown>; from?: readonly JobStatus[] },
  ): Promise<Job> {
    const job = await manager.getRepository(Job).findOne({ where: { id: jobId }, lock: { mode: 'pessimistic_write' } });
    if (!job) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${jobId} does not exist`);
    const from = job.status;
    if (!canTransition(from, to) || (change.from && !change.from.includes(from))) {
      throw new DomainException(JobsErrorCode.InvalidTransition, `A ${from} job cannot become ${to}`, { status: from, requested: to });
    }
    const patch = { ...change.patch, status: to, updatedAt: new Date() };
    await manager.getRepository(Job).update({ id: jobId }, patch as QueryDeepPartialEntity<Job>);
    Object.assign(job, patch);
    await this.record(manager, [{ job, from, to, actor: change.actor, reason: change.reason, data: change.data }]);
    return job;
  }

  /**
   * Writes ledger entries, status events and wake-ups for changes a set-based statement already
   * applied. `relaxed` lets the transaction commit without waiting for the WAL flush: for claims,
   * whose loss in a crash only leaves the job queued (a later durable commit flushes them anyway).
   */
  async record(manager: EntityManager, changes: TransitionRecord[], options: { relaxed?: boolean } = {}): Promise<void> {
    if (changes.length === 0) return;
    for (const c of changes) {
      if (c.from !== null && !canTransition(c.from, c.to)) {
        throw new DomainException(JobsErrorCode.InvalidTransition, `A ${c.from} job cannot become ${c.to}`, {
          status: c.from,
          requested: c.to,
        });
      }
    }
    // The events lock (ledger appends take none: the sequencer orders committed entries).
    await manager.query(`SELECT pg_advisory_xact_lock($1)${options.relaxed ? ", set_config('synchronous_commit', 'off', true)" : ''}`, [
      AdvisoryLock.Events,
    ]);
    const summary = (c: TransitionRecord) => `${c.from ?? 'new'} → ${c.to}${c.reason ? `: ${c.reason}` : ''}`;
    const data = (c: TransitionRecord) => ({ from: c.from, to: c.to, ...(c.reason ? { reason: c.reason } : {}), ...c.data });
    await this.ledger.append(
      manager,
      changes.map((c) => ({
        kind: 'job.status',
        actor: c.actor,
        jobId: c.job.id,
        traceId: c.job.traceId,
        conversationId: c.job.conversationId,
        summary: summary(c),
        data: data(c),
      })),
    );
    const notify = [
      ...[...new Set(changes.filter((c) => c.to === 'queued').map((c) => c.job.mode))].map((mode) => ({
        channel: JOBS_CHANNEL,
        payload: mode,
      })),
      ...changes.filter((c) => c.to === 'cancelling').map((c) => ({ channel: CANCEL_CHANNEL, payload: c.job.id })),
    ];
    await this.events.recordLocked(
      manager,
      changes.map((c) => ({
        type: 'status',
        jobId: c.job.id,
        traceId: c.job.traceId,
        conversationId: c.job.conversationId,
        role: c.job.role,
        summary: summary(c),
        // What the job is about travels with its status, for boards and notifications that show it.
        data: { ...data(c), ...(c.job.goal !== undefined && { job: { goal: c.job.goal.slice(0, 300), repo: c.job.repo ?? null } }) },
      })),
      notify,
    );
  }
}
