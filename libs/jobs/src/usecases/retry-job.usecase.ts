import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerActor } from '@app/ledger';
import { Job } from '../entities/job.entity';
import { JobTransitions } from '../job-transitions.service';
import { JobsErrorCode, JobsException } from '../jobs.errors';

/**
 * Puts a failed or aborted job back in the queue with fresh attempts and budget, as its next run
 * (evaluated anew when it ends); its history stays in the ledger.
 */
@Injectable()
export class RetryJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
  ) {}

  execute(command: { jobId: string; actor: LedgerActor }): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new JobsException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      // An evaluator job's run names the run it evaluates: retrying it evaluates that run again.
      const run = job.role === 'evaluator' ? job.run : job.run + 1;
      return this.transitions.move(manager, command.jobId, 'queued', {
        actor: command.actor,
        reason: 'retry',
        from: ['failed', 'aborted'],
        data: { run },
        patch: {
          run,
          attempts: 0,
          runAfter: new Date(),
          errorCode: null,
          errorMessage: null,
          result: null,
          checkpoint: null,
          pendingQuestion: null,
          humanResponse: null,
          cancelRequestedAt: null,
          finishedAt: null,
          currentAction: null,
          usedSteps: 0,
          usedTokens: 0,
          usedCostCents: 0,
          usedWallMs: 0,
          reservedTokens: 0,
          reservedCostCents: 0,
        },
      });
    });
  }
}
