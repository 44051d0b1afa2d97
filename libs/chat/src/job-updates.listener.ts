import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { DomainException, LOGGER } from '@app/common';
import { EventBus, EventRecord } from '@app/events';
import { JobsErrorCode, JobsService, PendingQuestion, nextStepAfter } from '@app/jobs';
import { RenderedRef, RenderedText, TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { escalationHow } from './chat-reply-rules';
import { MessagesService } from './messages.service';

/**
 * Brings a chat job's progress, questions and outcome into its conversation as messages, each
 * rendered by tdln-out (the message data names the template and what it cites). Every process sees
 * every status event; a dedupe key per event makes exactly one of them post it.
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
      question?: PendingQuestion;
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
    const say = (rendered: RenderedText | { text: string; ref: RenderedRef }, extra: Record<string, unknown>, dedupeKey = base.dedupeKey) =>
      this.messages.post({
        ...base,
        dedupeKey,
        content: rendered.text,
        data: { ...extra, template: 'ref' in rendered ? rendered.ref : renderedRef(rendered) },
      });
    switch (data.to) {
      case 'running':
        if (data.from !== 'queued' || data.attempt !== 1) return;
        // Once per job: a job resumed after a question is claimed again, but it started only once.
        await say(this.tdln.text('job_running', { job: { id: jobId } }), { update: 'started' }, `job-started:${jobId}`);
        await this.messages.status(conversationId, 'working', jobId);
        return;
      case 'waiting_human': {
        const question = data.question;
        await say(
          this.tdln.text('job_needs_you', {
            job: { id: jobId },
            question: question?.question ?? 'a decision',
            approval: question?.kind === 'approval',
            escalation: question?.kind === 'escalation',
            how: question?.kind === 'escalation' ? escalationHow(question) : '',
          }),
          { update: 'waiting', question: question ?? null },
        );
        await this.messages.status(conversationId, 'idle', jobId);
        return;
      }
      case 'succeeded':
      case 'failed':
      case 'aborted': {
        const job = await this.jobs.get(jobId).catch((error: unknown) => {
          if (error instanceof DomainException && error.code === JobsErrorCode.JobNotFound) return null;
          throw error;
        });
        const result = (job?.result ?? {}) as {
          answer?: { text: string; templateId?: string; citations?: string[]; evidence?: Record<string, string> };
          summary?: string;
          branch?: string;
        };
        let rendered: RenderedText | { text: string; ref: RenderedRef };
        if (data.to === 'succeeded')
          // The team's final answer was rendered (job_succeeded) when the job ended; it is posted as it is.
          rendered = result.answer?.templateId
            ? {
                text: result.answer.text,
                ref: { id: result.answer.templateId, citations: result.answer.citations ?? [], evidence: result.answer.evidence ?? {} },
              }
            : this.tdln.text('job_done', { job: { id: jobId }, summary: result.summary || 'done', branch: result.branch ?? null });
        else if (data.to === 'failed')
          rendered = this.tdln.text('job_failed', {
            job: { id: jobId },
            reason: job?.errorMessage ?? job?.errorCode ?? 'unknown',
            next_step: nextStepAfter(job?.errorCode),
          });
        else rendered = this.tdln.text('job_aborted', { job: { id: jobId }, reason: data.reason ?? null });
        await say(rendered, { update: data.to, errorCode: job?.errorCode ?? null });
        await this.messages.status(conversationId, 'idle', jobId);
        return;
      }
    }
  }
}
