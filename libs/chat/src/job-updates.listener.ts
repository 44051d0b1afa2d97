import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '@app/common';
import { EventBus, EventRecord } from '@app/events';
import { JobsErrorCode, JobsException, JobsService } from '@app/jobs';
import { TDLN, TdlnEngine } from '@app/tdln';
import { MessagesService } from './messages.service';

/**
 * Brings a chat job's progress, questions and outcome into its conversation as messages. Every
 * process sees every status event; a dedupe key per event makes exactly one of them post it.
 */
@Injectable()
export class JobUpdatesListener implements OnModuleInit, OnModuleDestroy {
  private unsubscribe?: () => void;
  private readonly logger: Logger;

  constructor(
    private readonly bus: EventBus,
    private readonly messages: MessagesService,
    private readonly jobs: JobsService,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'chat-job-updates' });
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe({ types: ['status'] }, (event) => {
      if (!event.conversationId || !event.jobId || event.role === 'evaluator') return;
      this.post(event).catch((error: Error) => this.logger.warn({ err: error.message, eventId: event.id }, 'posting a job update failed'));
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private async post(event: EventRecord): Promise<void> {
    const data = event.data as {
      from: string | null;
      to: string;
      reason?: string;
      attempt?: number;
      question?: { question: string; kind: string };
    };
    const conversationId = event.conversationId!;
    const jobId = event.jobId!;
    const base = {
      conversationId,
      jobId,
      role: 'assistant' as const,
      actor: 'agent:coordinator' as const,
      dedupeKey: `job-update:${event.id}`,
    };
    switch (data.to) {
      case 'running':
        if (data.from !== 'queued' || data.attempt !== 1) return;
        // Once per job: a job resumed after a question is claimed again, but it started only once.
        await this.messages.post({
          ...base,
          dedupeKey: `job-started:${jobId}`,
          content: `Working on it — job ${jobId} has started.`,
          data: { update: 'started' },
        });
        await this.messages.status(conversationId, 'working', jobId);
        return;
      case 'waiting_human': {
        const question = data.question;
        await this.messages.post({
          ...base,
          content: `Job ${jobId} needs you: ${question?.question ?? 'a decision'}${
            question?.kind === 'approval'
              ? '\n\nReply **approve** or **reject** — nothing else is taken as a decision.'
              : '\n\nReply with your answer (start it with **answer:** if it reads like a task or a status question).'
          }`,
          data: { update: 'waiting', question: question ?? null },
        });
        await this.messages.status(conversationId, 'idle', jobId);
        return;
      }
      case 'succeeded':
      case 'failed':
      case 'aborted': {
        const job = await this.jobs.get(jobId).catch((error: unknown) => {
          if (error instanceof JobsException && error.code === JobsErrorCode.JobNotFound) return null;
          throw error;
        });
        const result = (job?.result ?? {}) as { answer?: { text: string }; summary?: string; branch?: string };
        let content: string;
        if (data.to === 'succeeded')
          content =
            result.answer?.text ??
            `Job ${jobId} succeeded: ${result.summary ?? 'done'}${result.branch ? ` (branch \`${result.branch}\`)` : ''}`;
        else if (data.to === 'failed') {
          const rendered = this.tdln.render('job_failed', {
            job: { id: jobId },
            reason: job?.errorMessage ?? job?.errorCode ?? 'unknown',
            next_step: nextStep(job?.errorCode),
          });
          content = rendered.errors.length ? `Job ${jobId} failed: ${job?.errorMessage ?? job?.errorCode}` : rendered.text;
        } else content = `Job ${jobId} was stopped${data.reason ? ` (${data.reason})` : ''}.`;
        await this.messages.post({ ...base, content, data: { update: data.to, errorCode: job?.errorCode ?? null } });
        await this.messages.status(conversationId, 'idle', jobId);
        return;
      }
    }
  }
}

function nextStep(code: string | null | undefined): string {
  switch (code) {
    case 'step_limit':
    case 'token_limit':
    case 'cost_limit':
    case 'time_limit':
      return 'retry it with a larger budget, or split the task';
    case 'model_not_configured':
      return 'set ANTHROPIC_API_KEY on the server and retry';
    case 'agent_stuck':
      return 'rephrase the task with more detail (file, function, expected behaviour) and retry';
    default:
      return 'look at the job timeline for the cause, then retry';
  }
}
