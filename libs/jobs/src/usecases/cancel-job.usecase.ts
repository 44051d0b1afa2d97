import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerActor } from '@app/ledger';
import { Job } from '../entities/job.entity';
import { JobTransitions } from '../job-transitions.service';
import { JobsErrorCode } from '../jobs.errors';
import { DomainException } from '@app/common';

/**
 * Cancels a job: queued and waiting jobs end at once; a running job is asked to stop and ends
 * when its worker next checks (before every model and tool call). Cancelling twice is harmless.
 */
@Injectable()
export class CancelJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
  ) {}

  execute(command: { jobId: string; actor: LedgerActor; reason?: string }): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      const reason = command.reason ?? 'cancelled';
      switch (job.status) {
        case 'queued':
        case 'waiting_human':
          return this.transitions.move(manager, job.id, 'aborted', {
            actor: command.actor,
            reason,
            patch: {
              finishedAt: new Date(),
              errorCode: 'cancelled',
              errorMessage: 'Cancelled before it ran to the end',
              pendingQuestion: null,
            },
          });
        case 'running':
          return this.transitions.move(manager, job.id, 'cancelling', {
            actor: command.actor,
            reason,
            patch: { cancelRequestedAt: new Date() },
          });
        case 'cancelling':
          return job;
        case 'succeeded':
        case 'failed':
        case 'aborted':
          throw new DomainException(JobsErrorCode.InvalidTransition, `A ${job.status} job cannot be cancelled`, {
            status: job.status,
            requested: 'aborted',
          });
      }
    });
  }
}
