import { Inject, Injectable } from '@nestjs/common';
import { DomainException, RequestIdentityInfo } from '@app/common';
import { ModelAwareJobIntake, Understanding } from '@app/intake';
import { CreateJobUseCase, JobDelegation, JobsService, PendingQuestion } from '@app/jobs';
import { RenderedText, TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { ChatBudgetService } from './chat-budget.service';
import { escalationHow } from './chat-reply-rules';
import { MessagesService } from './messages.service';

/** A job of the conversation that waits for a person. */
export interface WaitingJob {
  id: string;
  repo: string;
  question: PendingQuestion | null;
}

/** Where a message left the conversation, and the job it concerns. */
export type Routed = { state: 'idle' | 'working' | 'queueing'; jobId?: string };

/**
 * What the Coordinator says in a conversation, and the jobs it starts there: every text rendered by
 * tdln-out and posted as its message, with the template it came from. The {@link CoordinatorService}
 * decides which of these a message gets.
 */
/** How a job that no longer runs is, after "is": "The last job, … is done: it succeeded." */
const STATUS_WORDS: Record<string, string> = {
  succeeded: 'done: it succeeded',
  failed: 'done: it failed',
  aborted: 'stopped',
  waiting_human: 'waiting for you',
};

@Injectable()
export class CoordinatorReplies {
  constructor(
    private readonly messages: MessagesService,
    private readonly createJob: CreateJobUseCase,
    private readonly jobIntake: ModelAwareJobIntake,
    private readonly budget: ChatBudgetService,
    private readonly jobs: JobsService,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
  ) {}

  /** Posts a rendered text as the Coordinator's message, with the template it came from and what it cites. */
  async say(
    conversationId: string,
    rendered: RenderedText,
    data: Record<string, unknown> = {},
    jobId: string | null = null,
  ): Promise<void> {
    await this.messages.post({
      conversationId,
      role: 'assistant',
      content: rendered.text,
      jobId,
      data: { ...data, template: renderedRef(rendered) },
      actor: 'agent:coordinator',
    });
  }

  /** A larger (genius mode) task, proposed: it starts when the person says go ahead. */
  async propose(conversationId: string, goal: string, repo: string, understanding: Understanding, delegation?: JobDelegation) {
    const { intent } = understanding;
    await this.say(
      conversationId,
      this.tdln.text('job_proposed', { operation: intent.operation.replace('_', ' '), targets: intent.targets, repo }),
      {
        proposal: {
          goal,
          repo,
          operation: intent.operation,
          mode: intent.mode,
          source: intent.source.kind,
          ...(delegation ? { delegation } : {}),
        },
      },
    );
  }

  /** Starts a job for the conversation through intake's reading (or a delegation), and shows its card; a refusal is said instead. */
  async start(
    conversationId: string,
    goal: string,
    repo: string,
    understood: Understanding | undefined,
    actor: RequestIdentityInfo['actor'],
    delegation?: JobDelegation,
  ): Promise<Routed> {
    try {
      const job = await this.createJob.execute({
        goal,
        repo,
        conversationId,
        source: 'chat',
        // A job the Coordinator hands over is its act, on the person's behalf (recorded in the delegation).
        actor: delegation ? delegation.by : actor,
        ...(delegation ? { delegation } : {}),
        ...(understood ? { understood: this.jobIntake.toResult(understood) } : {}),
      });
      const intent = (job.intent ?? {}) as { operation?: string; targets?: string[] };
      const rendered = this.tdln.text('job_started', {
        job: { id: job.id, title: goal },
        intent: { operation: intent.operation ?? 'task' },
        mode: job.mode,
        targets: intent.targets ?? [],
      });
      await this.say(conversationId, rendered, { jobCard: { id: job.id, status: job.status, mode: job.mode } }, job.id);
      return { state: 'queueing', jobId: job.id };
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      const details = error.details as { suggestions?: string[] } | undefined;
      await this.say(
        conversationId,
        this.tdln.text('request_refused', { message: error.message, suggestions: details?.suggestions ?? [] }),
        {
          refused: { code: error.code },
        },
      );
      return { state: 'idle' };
    }
  }

  /** How the conversation's latest job is doing, or what the waiting ones wait for. */
  async progress(conversationId: string, waiting: WaitingJob[] = []): Promise<Routed> {
    if (waiting.length > 0) {
      await this.say(conversationId, this.stillWaiting(waiting), { progress: { status: 'waiting_human' } }, waiting[0].id);
      return { state: 'idle', jobId: waiting[0].id };
    }
    const [job] = (await this.jobs.list({ conversationId, excludeRoles: ['evaluator'], limit: 1 })).items;
    if (!job) {
      await this.say(conversationId, this.tdln.text('no_jobs_yet', {}));
      return { state: 'idle' };
    }
    const active = ['queued', 'running', 'cancelling'].includes(job.status);
    const text = active
      ? this.tdln.text('job_progress', {
          job: { id: job.id },
          status: job.status,
          action: job.currentAction,
          steps: { used: job.usedSteps, max: job.maxSteps },
        })
      : this.tdln.text('job_status', {
          job: { id: job.id, goal: job.goal },
          status: STATUS_WORDS[job.status] ?? job.status.replace('_', ' '),
        });
    await this.say(conversationId, text, { progress: { status: job.status } }, job.id);
    return { state: active ? 'working' : 'idle', jobId: job.id };
  }

  /** What the waiting jobs wait for, and how to give it. */
  stillWaiting(waiting: WaitingJob[], lead: { not_a_decision?: boolean; deferred_proposal?: boolean } = {}): RenderedText {
    return this.tdln.text('still_waiting', {
      ...lead,
      waiting: waiting.map((w) => ({
        id: w.id,
        approval: w.question?.kind === 'approval',
        escalation: w.question?.kind === 'escalation',
        how: w.question?.kind === 'escalation' ? escalationHow(w.question) : '',
        question: w.question?.question ?? (w.question?.kind === 'approval' ? 'a decision' : 'a question'),
      })),
    });
  }

  /** Says that the conversation's model budget is used up, and what still works. */
  async overBudget(conversationId: string): Promise<Routed> {
    const spend = await this.budget.spend(conversationId);
    await this.say(
      conversationId,
      this.tdln.text('chat_budget_exhausted', {
        spend: { cost: spend.costCents.toFixed(2), max_cost: spend.maxCostCents, tokens: spend.tokens, max_tokens: spend.maxTokens },
      }),
      { budget: { exhausted: true, ...spend } },
    );
    return { state: 'idle' };
  }
}
