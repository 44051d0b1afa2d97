import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerActor } from '@app/ledger';
import { HumanResponse, Job, ResponseChannel, RespondAction, actionsFor } from '../entities/job.entity';
import { JobTransitions } from '../job-transitions.service';
import { JobsErrorCode, JobsException } from '../jobs.errors';

/** A person's response to a waiting job, with who gave it and how it came. */
export interface RespondJobCommand {
  jobId: string;
  action: RespondAction;
  answer?: string;
  actor: LedgerActor;
  via: ResponseChannel;
}

/**
 * Answers a waiting job. Only an action that fits the pending question is taken: an approval is
 * approved or rejected, a question answered (or rejected); anything else is refused with
 * `invalid_response` and changes nothing. Approve and answer put the job back in the queue, where a
 * worker resumes it from its checkpoint with the response; reject ends it aborted. Who responded,
 * and through what, goes into the ledger entry and onto the job with the question it resolved.
 */
@Injectable()
export class RespondJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
  ) {}

  execute(command: RespondJobCommand): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new JobsException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      if (job.status !== 'waiting_human') {
        throw new JobsException(JobsErrorCode.NotWaiting, `The job is ${job.status}, not waiting for a response`, { status: job.status });
      }
      const pending = job.pendingQuestion;
      const allowed = actionsFor(pending);
      if (!allowed.includes(command.action)) {
        const what = pending?.kind === 'approval' ? 'an approval' : 'an answer to its question';
        throw new JobsException(
          JobsErrorCode.InvalidResponse,
          `Job ${job.id} waits for ${what}: it takes ${allowed.join(' or ')}, not ${command.action}`,
          { action: command.action, allowed, question: pending ? { kind: pending.kind, question: pending.question } : null },
        );
      }
      const question = pending
        ? { kind: pending.kind, question: pending.question, ...(pending.askedBy ? { askedBy: pending.askedBy } : {}) }
        : undefined;
      const response: HumanResponse = {
        action: command.action,
        ...(command.answer !== undefined ? { answer: command.answer } : {}),
        respondedAt: new Date().toISOString(),
        by: command.actor,
        via: command.via,
        ...(question ? { question } : {}),
      };
      const data = {
        response: { action: command.action, answer: command.answer ?? null, by: command.actor, via: command.via },
        question: pending?.question ?? null,
        questionKind: pending?.kind ?? null,
      };
      if (command.action === 'reject') {
        return this.transitions.move(manager, job.id, 'aborted', {
          actor: command.actor,
          reason: 'rejected',
          data,
          patch: {
            humanResponse: response,
            pendingQuestion: null,
            finishedAt: new Date(),
            errorCode: 'rejected',
            errorMessage: `${command.actor} rejected the request${pending?.kind === 'approval' ? ' for approval' : ''}`,
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
