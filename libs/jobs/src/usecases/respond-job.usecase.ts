import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerActor } from '@app/ledger';
import { HumanResponse, Job } from '../entities/job.entity';
import { JobTransitions } from '../job-transitions.service';
import { JobsErrorCode, JobsException } from '../jobs.errors';

/**
 * Answers a waiting job. Approve and answer put it back in the queue, where a worker resumes it
 * from its checkpoint with the response; reject ends it aborted.
 */
@Injectable()
export class RespondJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
  ) {}

  execute(command: { jobId: string; action: HumanResponse['action']; answer?: string; actor: LedgerActor }): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new JobsException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      if (job.status !== 'waiting_human') {
        throw new JobsException(JobsErrorCode.NotWaiting, `The job is ${job.status}, not waiting for a response`, { status: job.status });
      }
      const response: HumanResponse = {
        action: command.action,
        answer: command.answer,
        respondedAt: new Date().toISOString(),
        by: command.actor,
      };
      const data = {
        response: { action: command.action, answer: command.answer ?? null },
        question: job.pendingQuestion?.question ?? null,
      };
      if (command.action === 'reject') {
        return this.transitions.move(manager, job.id, 'aborted', {
          actor: command.actor,
          reason: 'rejected by a person',
          data,
          patch: {
            humanResponse: response,
            pendingQuestion: null,
            finishedAt: new Date(),
            errorCode: 'rejected',
            errorMessage: 'A person rejected the request for approval',
          },
        });
      }
      return this.transitions.move(manager, job.id, 'queued', {
        actor: command.actor,
        reason: command.action === 'approve' ? 'approved' : 'answered',
        data,
        patch: { humanResponse: response, pendingQuestion: null, runAfter: new Date() },
      });
    });
  }
}
