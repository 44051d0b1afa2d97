import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, DomainException, JobCaps, JobMode } from '@app/common';
import { LedgerActor } from '@app/ledger';
import { Job } from '../entities/job.entity';
import { CAP_FIELDS, CAP_OF_CODE, EscalationTrigger, capsOf, geniusCaps } from '../escalation';
import { JobPatch, JobTransitions } from '../job-transitions.service';
import { JobsErrorCode } from '../jobs.errors';
import { EscalateJobUseCase } from './escalate-job.usecase';

/** A retry, optionally in another mode or with other caps (within the server maxima). */
export interface RetryJobCommand {
  jobId: string;
  actor: LedgerActor;
  mode?: JobMode;
  caps?: Partial<JobCaps>;
}

/**
 * Puts a failed or aborted job back in the queue as its next run (evaluated anew when it ends),
 * optionally in another mode or with other caps, within the server maxima. A job that stopped at a
 * cap and is given room above it (genius mode, or a higher value of that cap) continues from its
 * checkpoint, with what it used so far still counted; any other retry starts over with fresh
 * attempts and budget. Its history stays in the ledger.
 */
@Injectable()
export class RetryJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
    private readonly escalations: EscalateJobUseCase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(command: RetryJobCommand): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      const requested = Object.fromEntries(CAP_FIELDS.filter((k) => command.caps?.[k] !== undefined).map((k) => [k, command.caps![k]!]));
      const mode = command.mode ?? job.mode;
      const current = capsOf(job);
      const stoppedAt = job.errorCode ? CAP_OF_CODE[job.errorCode] : undefined;
      // Continuing keeps what was used, so genius mode never lowers a cap; starting over takes the mode's defaults.
      const base =
        mode === job.mode ? current : mode === 'genius' && stoppedAt ? geniusCaps(current, this.config) : this.config.jobs.modeCaps[mode];
      const caps: JobCaps = { ...base, ...requested };
      this.checkMaxima(caps, requested);
      const resume = stoppedAt !== undefined && job.checkpoint !== null && caps[stoppedAt] > current[stoppedAt];
      const escalated = mode !== job.mode || CAP_FIELDS.some((k) => caps[k] !== current[k]);
      // An evaluator job's run names the run it evaluates: retrying it evaluates that run again.
      const run = job.role === 'evaluator' ? job.run : job.run + 1;
      const fresh: JobPatch = resume ? {} : { checkpoint: null, usedSteps: 0, usedTokens: 0, usedCostCents: 0, usedWallMs: 0 };
      const moved = await this.transitions.move(manager, command.jobId, 'queued', {
        actor: command.actor,
        reason: resume ? 'retry from the checkpoint' : 'retry',
        from: ['failed', 'aborted'],
        data: { run, resume, ...(escalated ? { mode, caps } : {}) },
        patch: {
          run,
          attempts: 0,
          runAfter: new Date(),
          errorCode: null,
          errorMessage: null,
          result: null,
          pendingQuestion: null,
          humanResponse: null,
          cancelRequestedAt: null,
          finishedAt: null,
          currentAction: null,
          reservedTokens: 0,
          reservedCostCents: 0,
          mode,
          ...caps,
          ...fresh,
        },
      });
      if (escalated) {
        const trigger: EscalationTrigger | null = stoppedAt
          ? { kind: 'cap', code: job.errorCode!, cap: stoppedAt, message: job.errorMessage ?? job.errorCode! }
          : null;
        await this.escalations.record(manager, moved, {
          action: 'retry',
          trigger,
          from: { mode: job.mode, caps: current },
          to: { mode, caps },
          actor: command.actor,
        });
      }
      return moved;
    });
  }

  private checkMaxima(caps: JobCaps, requested: Partial<JobCaps>): void {
    const max = this.config.jobs.maxCaps;
    const over = CAP_FIELDS.filter((k) => requested[k] !== undefined && caps[k] > max[k]);
    if (over.length > 0) {
      throw new DomainException(
        JobsErrorCode.CapAboveMaximum,
        `Requested caps exceed the server maxima: ${over.map((k) => `${k} ${caps[k]} > ${max[k]}`).join(', ')}`,
        { problems: over.map((k) => ({ field: k, problems: [`${k} must not exceed ${max[k]}`] })) },
      );
    }
  }
}
