import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerActor } from '@app/ledger';
import { Job } from '../entities/job.entity';
import { JobTransitions } from '../job-transitions.service';

/** Puts a failed or aborted job back in the queue with fresh attempts and budget; its history stays in the ledger. */
@Injectable()
export class RetryJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
  ) {}

  execute(command: { jobId: string; actor: LedgerActor }): Promise<Job> {
    return this.dataSource.transaction((manager) =>
      this.transitions.move(manager, command.jobId, 'queued', {
        actor: command.actor,
        reason: 'retry',
        from: ['failed', 'aborted'],
        patch: {
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
      }),
    );
  }
}
