import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, DomainException, escalations, JobCaps, JobMode } from '@app/common';
import { EventsService } from '@app/events';
import { LedgerActor, LedgerService } from '@app/ledger';
import { Job, ResponseChannel } from '../entities/job.entity';
import { EscalationTrigger, capChanges, capsOf, escalationOptions } from '../escalation';
import { JobsErrorCode } from '../jobs.errors';

/** How a job came to escalate: on its own (`auto`), or by a person's choice (respond or retry). */
export type EscalationAction = 'auto' | 'escalate' | 'raise_cap' | 'retry';

/** One escalation as the ledger and the event log record it. */
export interface EscalationChange {
  action: EscalationAction;
  trigger: EscalationTrigger | null;
  from: { mode: JobMode; caps: JobCaps };
  to: { mode: JobMode; caps: JobCaps };
  actor: LedgerActor;
  via?: ResponseChannel;
}

/**
 * Escalates a job: a new mode and caps, a `job.escalated` ledger entry and an `escalation` event,
 * written together. `execute` is the automatic escalation of a running job (ESCALATION=auto) by
 * the worker that holds it: genius mode within the server maxima; the worker then hands the job
 * back to the queue, and it resumes from its checkpoint. Respond and retry record theirs with
 * {@link record} in their own transaction.
 */
@Injectable()
export class EscalateJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Moves a running mechanic job held by `workerId` to genius mode; null when that gives it no more room. */
  execute(command: { jobId: string; workerId: string; trigger: EscalationTrigger }): Promise<EscalationChange | null> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      if (job.status !== 'running' || job.workerId !== command.workerId) {
        throw new DomainException(JobsErrorCode.InvalidTransition, `Job ${job.id} is not running on worker ${command.workerId}`, {
          status: job.status,
        });
      }
      const genius = escalationOptions(job, command.trigger, this.config).genius;
      if (!genius) return null;
      const change: EscalationChange = {
        action: 'auto',
        trigger: command.trigger,
        from: { mode: job.mode, caps: capsOf(job) },
        to: genius,
        actor: 'system',
      };
      await manager.getRepository(Job).update({ id: job.id }, { mode: genius.mode, ...genius.caps, updatedAt: new Date() });
      await this.record(manager, job, change, { lock: true });
      return change;
    });
  }

  /**
   * Writes an escalation's ledger entry and event in the caller's transaction; `lock` takes the
   * ledger and events locks first (a caller that moved the job's status already holds them).
   */
  async record(
    manager: EntityManager,
    job: Pick<Job, 'id' | 'traceId' | 'conversationId' | 'role'>,
    change: EscalationChange,
    options: { lock?: boolean } = {},
  ): Promise<void> {
    const changed = capChanges(change.from.caps, change.to.caps);
    const what = [
      ...(change.from.mode !== change.to.mode ? [`${change.from.mode} → ${change.to.mode}`] : []),
      ...Object.entries(changed).map(([cap, [from, to]]) => `${cap} ${from} → ${to}`),
    ].join(', ');
    const summary = `escalated (${change.action}${change.trigger ? `, ${change.trigger.code ?? change.trigger.kind}` : ''}): ${what || 'no change'}`;
    const data = {
      action: change.action,
      trigger: (change.trigger ?? null) as never,
      from: change.from as never,
      to: change.to as never,
      changed: changed as never,
      ...(change.via ? { via: change.via as never } : {}),
    };
    const drafts = [
      {
        kind: 'job.escalated',
        actor: change.actor,
        jobId: job.id,
        traceId: job.traceId,
        conversationId: job.conversationId,
        summary,
        data,
      },
    ];
    const eventDrafts = [
      { type: 'escalation', jobId: job.id, traceId: job.traceId, conversationId: job.conversationId, role: job.role, summary, data },
    ];
    // Ledger appends take no lock (the sequencer orders committed entries); events keep theirs.
    await this.ledger.append(manager, drafts);
    if (options.lock) await this.events.record(manager, eventDrafts);
    else await this.events.recordLocked(manager, eventDrafts);
    escalations.inc({ trigger: change.trigger?.kind ?? 'none', action: change.action });
  }
}
