import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, DomainException, JobCaps, JobMode } from '@app/common';
import { LedgerActor } from '@app/ledger';
import { HumanResponse, Job, PendingQuestion, ResponseChannel, RespondAction, actionsFor } from '../entities/job.entity';
import { CAP_FIELDS, EscalationTrigger, capsOf, describeCap, escalationOptions } from '../escalation';
import { JobTransitions } from '../job-transitions.service';
import { JobsErrorCode } from '../jobs.errors';
import { EscalateJobUseCase } from './escalate-job.usecase';

/** A person's response to a waiting job, with who gave it and how it came. */
export interface RespondJobCommand {
  jobId: string;
  action: RespondAction;
  answer?: string;
  /** With `raise_cap`: the caps to raise (the suggested raise of the cap it reached when none is given). */
  caps?: Partial<JobCaps>;
  actor: LedgerActor;
  via: ResponseChannel;
}

const REASONS: Record<RespondAction, string> = {
  approve: 'approved',
  answer: 'answered',
  escalate: 'escalated to genius mode',
  raise_cap: 'cap raised',
  reject: 'rejected',
};

/**
 * Answers a waiting job. Only an action that fits the pending question is taken: an approval is
 * approved or rejected, a question answered (or rejected), an escalation settled by the choices it
 * offers (`escalate` to genius mode, `raise_cap`) or rejected; anything else is refused with
 * `invalid_response` and changes nothing. Approve, answer, escalate and raise_cap put the job back
 * in the queue, where a worker resumes it from its checkpoint with the response (and, for an
 * escalation, its new mode and caps); reject ends it aborted. Who responded, and through what,
 * goes into the ledger entry and onto the job with the question it resolved.
 */
@Injectable()
export class RespondJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
    private readonly escalations: EscalateJobUseCase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(command: RespondJobCommand): Promise<Job> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(Job).findOne({ where: { id: command.jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${command.jobId} does not exist`);
      if (job.status !== 'waiting_human') {
        throw new DomainException(JobsErrorCode.NotWaiting, `The job is ${job.status}, not waiting for a response`, { status: job.status });
      }
      const pending = job.pendingQuestion;
      const allowed = actionsFor(pending);
      if (!allowed.includes(command.action)) {
        const what =
          pending?.kind === 'approval'
            ? 'an approval'
            : pending?.kind === 'escalation'
              ? 'a decision on its escalation'
              : 'an answer to its question';
        throw new DomainException(
          JobsErrorCode.InvalidResponse,
          `Job ${job.id} waits for ${what}: it takes ${allowed.join(' or ')}, not ${command.action}`,
          { action: command.action, allowed, question: pending ? { kind: pending.kind, question: pending.question } : null },
        );
      }
      const escalation =
        command.action === 'escalate' || command.action === 'raise_cap' ? this.escalationOf(job, pending!, command) : undefined;
      const question = pending
        ? { kind: pending.kind, question: pending.question, ...(pending.askedBy ? { askedBy: pending.askedBy } : {}) }
        : undefined;
      const response: HumanResponse = {
        action: command.action,
        ...(command.answer !== undefined ? { answer: command.answer } : {}),
        ...(escalation ? { escalation } : {}),
        respondedAt: new Date().toISOString(),
        by: command.actor,
        via: command.via,
        ...(question ? { question } : {}),
      };
      const data = {
        response: { action: command.action, answer: command.answer ?? null, by: command.actor, via: command.via },
        question: pending?.question ?? null,
        questionKind: pending?.kind ?? null,
        ...(escalation ? { escalation } : {}),
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
      const before = { mode: job.mode, caps: capsOf(job) };
      const moved = await this.transitions.move(manager, job.id, 'queued', {
        actor: command.actor,
        reason: REASONS[command.action],
        data,
        patch: {
          humanResponse: response,
          pendingQuestion: null,
          runAfter: new Date(),
          ...(escalation ? { mode: escalation.mode, ...escalation.caps } : {}),
        },
      });
      if (escalation) {
        await this.escalations.record(manager, moved, {
          action: command.action as 'escalate' | 'raise_cap',
          trigger: (pending!.data?.trigger ?? null) as EscalationTrigger | null,
          from: before,
          to: escalation,
          actor: command.actor,
          via: command.via,
        });
      }
      return moved;
    });
  }

  /** The mode and caps an escalate or raise_cap response gives the job, or a refusal that changes nothing. */
  private escalationOf(job: Job, pending: PendingQuestion, command: RespondJobCommand): { mode: JobMode; caps: JobCaps } {
    const trigger = pending.data?.trigger as EscalationTrigger | undefined;
    if (!trigger) throw new DomainException(JobsErrorCode.InvalidResponse, `Job ${job.id}'s question holds no escalation to settle`);
    const options = escalationOptions(job, trigger, this.config);
    if (command.action === 'escalate') {
      if (!options.genius) {
        throw new DomainException(
          JobsErrorCode.InvalidResponse,
          `Genius mode gives job ${job.id} no more room (it is ${job.mode}, at ${trigger.cap ? describeCap(trigger.cap, job[trigger.cap]) : 'its caps'})`,
          { action: command.action, allowed: pending.actions ?? [] },
        );
      }
      return { mode: options.genius.mode, caps: { ...options.genius.caps, ...this.checked(job, command.caps ?? {}) } };
    }
    if (!options.raise) {
      throw new DomainException(JobsErrorCode.InvalidResponse, `Job ${job.id}'s cap is at the server maximum and cannot be raised`, {
        action: command.action,
        allowed: pending.actions ?? [],
      });
    }
    const { cap, current, suggested } = options.raise;
    const given = CAP_FIELDS.some((k) => command.caps?.[k] !== undefined);
    const requested = given ? command.caps! : { [cap]: suggested };
    const caps = { ...capsOf(job), ...this.checked(job, requested) };
    if (caps[cap] <= current) {
      throw new DomainException(
        JobsErrorCode.CapNotRaised,
        `Job ${job.id} stopped at its ${cap} (${describeCap(cap, current)}): raise_cap must raise ${cap} above ${current} (up to ${options.raise.max}), e.g. ${suggested}`,
        { problems: [{ field: cap, problems: [`${cap} must be more than ${current}`] }], cap, current, suggested, max: options.raise.max },
      );
    }
    return { mode: job.mode, caps };
  }

  /** Requested caps, each at least the job's own and at most the server's maximum. */
  private checked(job: Job, requested: Partial<JobCaps>): Partial<JobCaps> {
    const max = this.config.jobs.maxCaps;
    const given = CAP_FIELDS.filter((k) => requested[k] !== undefined);
    const over = given.filter((k) => requested[k]! > max[k]);
    if (over.length > 0) {
      throw new DomainException(
        JobsErrorCode.CapAboveMaximum,
        `Requested caps exceed the server maxima: ${over.map((k) => `${k} ${requested[k]} > ${max[k]}`).join(', ')}`,
        { problems: over.map((k) => ({ field: k, problems: [`${k} must not exceed ${max[k]}`] })) },
      );
    }
    const lower = given.filter((k) => requested[k]! < job[k]);
    if (lower.length > 0) {
      throw new DomainException(
        JobsErrorCode.CapNotRaised,
        `An escalation only raises caps: ${lower.map((k) => `${k} ${requested[k]} < ${job[k]}`).join(', ')}`,
        { problems: lower.map((k) => ({ field: k, problems: [`${k} must be at least ${job[k]}`] })) },
      );
    }
    return Object.fromEntries(given.map((k) => [k, requested[k]!]));
  }
}
