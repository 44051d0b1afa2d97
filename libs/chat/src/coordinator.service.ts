import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, DomainException, JobCaps, LOGGER, RepositoryAccess, RequestIdentityInfo } from '@app/common';
import { ModelGateway } from '@app/agents';
import { IntakeModelCall, IntakeOutcome, IntakeService, ModelAwareJobIntake, Understanding } from '@app/intake';
import { CreateJobUseCase, PendingQuestion, REPO_PATTERN, RespondAction, RespondJobUseCase, describeCap } from '@app/jobs';
import { TDLN, TdlnEngine } from '@app/tdln';
import { ChatBudgetService, ChatModelCall, ChatReservation } from './chat-budget.service';
import {
  EscalationChoice,
  decisionOf,
  escalationChoiceOf,
  escalationHow,
  explicitAnswer,
  isPlainStatusQuestion,
  isStatusQuestion,
} from './chat-reply-rules';
import { MessagesService } from './messages.service';

/** Who sent a chat message: their identity as the request carried it, and the message. */
export interface ChatSender extends RequestIdentityInfo {
  messageId?: string;
}

/** A job of the conversation that waits for a person. */
interface WaitingJob {
  id: string;
  repo: string;
  question: PendingQuestion | null;
}

type Routed = { state: 'idle' | 'working' | 'queueing'; jobId?: string };

const REPLY_MAX_TOKENS = 1_024;
/** A repository named in a message: an absolute path or a git URL, as a word of its own. */
const REPO_IN_TEXT = /(?:^|\s)((?:https?|ssh|git|file):\/\/\S+|\/[\w.\-/]+)/;

const COORDINATOR_SYSTEM = `Role: coordinator
You are the Coordinator of an AI coding team, talking with the person who gives the team work.
Answer questions about the team, its jobs and how to ask for work, briefly and concretely.
You never write code yourself. When the person wants a change, tell them how to phrase it as a task
(for example "fix the failing login test in src/auth.ts") and which repository it should run on.`;

/**
 * The Coordinator in chat: it routes each message — a decision or an answer for a waiting job, "go
 * ahead" for a proposed job, a status question, a new task — reading tasks through the one intake
 * path (the grammar first, the model when it abstains, then the policy), and only talks freely,
 * through the model, when a message is not a task at all. A waiting approval is resolved only by an
 * unmistakable approve or reject; anything else is handled as what it is. Its own model calls are
 * budgeted and metered per conversation ({@link ChatBudgetService}). It never writes code.
 */
@Injectable()
export class CoordinatorService {
  private readonly logger: Logger;

  constructor(
    private readonly messages: MessagesService,
    private readonly createJob: CreateJobUseCase,
    private readonly respondJob: RespondJobUseCase,
    private readonly model: ModelGateway,
    private readonly intake: IntakeService,
    private readonly jobIntake: ModelAwareJobIntake,
    private readonly budget: ChatBudgetService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    private readonly repositories: RepositoryAccess,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'coordinator' });
  }

  /** Answers one user message in the background; every outcome is a message and a status on the stream. */
  async respond(
    conversationId: string,
    text: string,
    explicitRepo?: string,
    sender: ChatSender = { actor: 'user', auth: 'none' },
  ): Promise<void> {
    let finalState: 'idle' | 'working' | 'queueing';
    let jobId: string | null;
    await this.messages.status(conversationId, 'thinking');
    try {
      const result = await this.route(conversationId, text.trim(), explicitRepo, sender);
      finalState = result.state;
      jobId = result.jobId ?? null;
    } catch (error) {
      this.logger.error({ err: error, conversationId }, 'coordinator failed');
      await this.messages.status(conversationId, 'idle');
      await this.say(conversationId, 'Sorry, something went wrong while answering. Please try again.', { error: (error as Error).message });
      throw error;
    }
    await this.messages.status(conversationId, finalState, jobId);
  }

  private async route(conversationId: string, text: string, explicitRepo: string | undefined, sender: ChatSender): Promise<Routed> {
    const conversation = await this.messages.conversation(conversationId);
    const named = explicitRepo ?? REPO_IN_TEXT.exec(text)?.[1];
    if (named && REPO_PATTERN.test(named)) {
      // A repository the access policy refuses is neither remembered nor worked on: the answer is the refusal.
      const verdict = this.repositories.check(named);
      if (!verdict.allowed) {
        const { refusal } = verdict;
        await this.say(conversationId, `${refusal.message} ${refusal.hint}`, {
          refused: { code: 'repo_not_allowed', reason: refusal.reason },
        });
        return { state: 'idle' };
      }
    }
    if (named && REPO_PATTERN.test(named) && named !== conversation.defaultRepo) await this.messages.setDefaultRepo(conversationId, named);
    const repo = named && REPO_PATTERN.test(named) ? named : conversation.defaultRepo;

    // 1. A job of this conversation waits for a person: a decision, an answer, or something else.
    const waiting = await this.waitingJobs(conversationId);
    if (waiting.length > 0) return this.whileWaiting(conversationId, text, waiting, repo, sender);

    const last = await this.lastAssistantData(conversationId);
    // 2. "go ahead" after a proposal, or a repository given for a task that lacked one.
    if (last?.proposal) {
      const decision = decisionOf(text)?.decision;
      if (decision === 'approve') return this.start(conversationId, last.proposal.goal, last.proposal.repo, undefined, sender.actor);
      if (decision === 'reject') {
        await this.say(conversationId, 'Understood — I will not start it.', { proposalDeclined: true });
        return { state: 'idle' };
      }
    }
    if (last?.pendingTask && repo && named) return this.start(conversationId, last.pendingTask.goal, repo, undefined, sender.actor);

    // 3. A status question.
    if (isStatusQuestion(text)) return this.progress(conversationId);

    // 4. A task, read through the one intake path; the model's reading, when it is asked, is budgeted here.
    const reading = await this.readWithinBudget(conversationId, text, repo ?? undefined);
    const outcome = reading.outcome;
    if (outcome.kind === 'understood') {
      let routed: Routed | undefined;
      try {
        routed = await this.takeTask(conversationId, text, repo, outcome.understanding, sender.actor);
      } finally {
        // An intake call for a message that became a job is charged to that job; any other lands on the conversation.
        if (reading.reservation) await this.budget.settle(reading.reservation, routed?.state === 'queueing' ? null : intakeCall(outcome));
      }
      return routed;
    }
    // Not a job: what reading it cost is the conversation's, settled before the model is asked anything else.
    if (reading.reservation) await this.budget.settle(reading.reservation, intakeCall(outcome));
    if (outcome.kind === 'refused' || outcome.kind === 'unavailable') {
      const details = outcome.error.details as { suggestions?: string[] } | undefined;
      const suggestions = details?.suggestions ?? outcome.abstain?.suggestions ?? [];
      await this.say(
        conversationId,
        `${outcome.error.message}${suggestions.length ? `\n\nFor example:\n${suggestions.map((s) => `- ${s}`).join('\n')}` : ''}`,
        { refused: { code: outcome.error.code } },
      );
      return { state: 'idle' };
    }
    const abstain = outcome.abstain;
    const details = outcome.error.details as
      { reason?: string; missing?: string; clarification?: string; suggestions?: string[]; model?: string } | undefined;
    // The model was needed to read it, and this conversation has no budget left for it.
    if (reading.overBudget && details?.model === 'not_asked') return this.overBudget(conversationId);
    // Not a task at all (the grammar saw none and the model, if asked, found no work in it): talk.
    const notATask = details?.missing === 'operation' && (outcome.source === 'model' || details?.reason === 'no_match');
    if (notATask && this.model.configured) return this.answerWithModel(conversationId, text);
    const question = details?.clarification ?? abstain?.clarification ?? outcome.error.message;
    const suggestions = details?.suggestions ?? abstain?.suggestions ?? [];
    const rendered = this.tdln.render('needs_clarification', { question, suggestions });
    await this.say(conversationId, rendered.errors.length ? question : rendered.text, {
      clarification: {
        reason: details?.reason ?? abstain?.reason ?? 'no_match',
        missing: details?.missing,
        suggestions,
        source: outcome.source,
      },
    });
    return { state: 'idle' };
  }

  /**
   * A message while jobs of the conversation wait for a person. An unmistakable approve or reject
   * settles a waiting approval; `answer: …` answers a waiting question; a status question gets the
   * status; a task the grammar reads and that names a file becomes a new job; anything else answers
   * a waiting question, or is met with a reminder of the approval that waits and how to give it.
   */
  private async whileWaiting(
    conversationId: string,
    text: string,
    waiting: WaitingJob[],
    repo: string | null,
    sender: ChatSender,
  ): Promise<Routed> {
    const approvals = waiting.filter((w) => w.question?.kind === 'approval');
    const escalations = waiting.filter((w) => w.question?.kind === 'escalation');
    const questions = waiting.filter((w) => w.question?.kind !== 'approval' && w.question?.kind !== 'escalation');
    // An escalation is settled only by an unmistakable choice: "escalate", "raise to 60 steps", or a rejection.
    const choice = escalationChoiceOf(text);
    if (choice && escalations.length > 0) {
      const target = choice.jobRef
        ? escalations.find((w) => w.id.startsWith(choice.jobRef!))
        : escalations.length === 1
          ? escalations[0]
          : undefined;
      if (target) return this.settleEscalation(conversationId, target, choice, sender);
      await this.say(
        conversationId,
        `${escalations.length > 1 ? 'Several jobs wait for a decision on their budget' : 'No escalation waits for that job'}:\n${escalations
          .map((w) => `- job ${w.id}: ${w.question?.question ?? 'a decision'}`)
          .join('\n')}\n\nSay **escalate <job id>** or **raise to <figure> <job id>** (the first 8 characters are enough).`,
        { reminder: { jobIds: escalations.map((w) => w.id), actions: ['escalate', 'raise_cap', 'reject'] } },
      );
      return { state: 'idle' };
    }
    const decision = decisionOf(text);
    // Approvals take yes or no; an escalation takes no as well (yes does not say which way to go on).
    const decidable = decision?.decision === 'reject' ? [...approvals, ...escalations] : approvals;
    if (decision && decidable.length > 0) {
      const target = decision.jobRef
        ? decidable.find((w) => w.id.startsWith(decision.jobRef!))
        : decidable.length === 1
          ? decidable[0]
          : undefined;
      if (target) return this.resolve(conversationId, target, decision.decision, undefined, sender);
      await this.say(
        conversationId,
        `${decidable.length > 1 ? 'Several jobs wait for your decision' : 'No approval waits for that job'}:\n${decidable
          .map((w) => `- job ${w.id}: ${w.question?.question ?? 'a decision'}`)
          .join('\n')}\n\nSay **${decision.decision} <job id>** (the first 8 characters are enough).`,
        { reminder: { jobIds: decidable.map((w) => w.id), actions: ['approve', 'reject'] } },
      );
      return { state: 'idle' };
    }
    const explicit = explicitAnswer(text);
    if (explicit !== null && questions.length > 0) return this.resolve(conversationId, questions[0], 'answer', explicit, sender);
    // Only an unmistakable status question while a question waits: "return status 404 instead" is an answer.
    if (questions.length > 0 ? isPlainStatusQuestion(text) : isStatusQuestion(text)) return this.progress(conversationId, waiting);

    const newTask = await this.readAsNewTask(text, repo ?? waiting[0].repo);
    if (newTask && newTask.understanding.mode === 'genius') {
      // A proposal would wait for "go ahead", which here would settle the waiting approval instead: one decision at a time.
      await this.say(
        conversationId,
        `That reads as a larger change (genius mode), which I propose before starting — after the waiting job is settled. ${this.stillWaiting(waiting)}`,
        { reminder: { jobIds: waiting.map((w) => w.id) } },
      );
      return { state: 'idle' };
    }
    if (newTask) {
      const routed = await this.start(conversationId, text, newTask.repo, newTask.understanding, sender.actor);
      await this.say(conversationId, this.stillWaiting(waiting), { reminder: { jobIds: waiting.map((w) => w.id) } });
      return routed;
    }
    if (questions.length > 0) return this.resolve(conversationId, questions[0], 'answer', text, sender);
    const deciding = [...escalations, ...approvals];
    await this.say(
      conversationId,
      `I did not take that as a decision. ${this.stillWaiting(deciding)}`,
      {
        reminder: {
          jobIds: deciding.map((w) => w.id),
          actions: escalations.length > 0 ? ['escalate', 'raise_cap', 'approve', 'reject'] : ['approve', 'reject'],
        },
      },
      deciding[0].id,
    );
    return { state: 'idle', jobId: deciding[0].id };
  }

  /** Settles a waiting escalation with the sender's choice: genius mode, or a raised cap (the figure given, or the suggested raise). */
  private settleEscalation(conversationId: string, job: WaitingJob, choice: EscalationChoice, sender: ChatSender): Promise<Routed> {
    if (choice.choice === 'escalate') return this.resolve(conversationId, job, 'escalate', undefined, sender);
    const offered = (job.question?.data?.raise ?? null) as { cap: keyof JobCaps } | null;
    const cap = choice.cap ?? offered?.cap;
    const caps = choice.value !== undefined && cap ? { [cap]: choice.value } : undefined;
    return this.resolve(conversationId, job, 'raise_cap', undefined, sender, caps);
  }

  /** What the waiting jobs wait for, and how to give it. */
  private stillWaiting(waiting: WaitingJob[]): string {
    return waiting
      .map((w) =>
        w.question?.kind === 'approval'
          ? `Job ${w.id} is waiting for your approval: ${w.question.question}\n\nReply **approve** or **reject** (just that), or use the job page or \`aict respond ${w.id} --approve\`.`
          : w.question?.kind === 'escalation'
            ? `Job ${w.id} is waiting for a decision on its budget: ${w.question.question}\n\n${escalationHow(w.question)}`
            : `Job ${w.id} is waiting for your answer: ${w.question?.question ?? 'a question'}\n\nReply with your answer (start it with **answer:** if it reads like a task or a status question).`,
      )
      .join('\n\n');
  }

  /** Resolves a waiting job with the sender's decision or answer, recording who gave it and through which conversation. */
  private async resolve(
    conversationId: string,
    job: WaitingJob,
    action: RespondAction,
    answer: string | undefined,
    sender: ChatSender,
    caps?: Partial<JobCaps>,
  ): Promise<Routed> {
    let settled;
    try {
      settled = await this.respondJob.execute({
        jobId: job.id,
        action,
        answer,
        caps,
        actor: sender.actor,
        via: {
          channel: 'chat',
          auth: sender.auth,
          ...(sender.sessionId ? { sessionId: sender.sessionId } : {}),
          conversationId,
          ...(sender.messageId ? { messageId: sender.messageId } : {}),
        },
      });
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      await this.say(
        conversationId,
        `I could not pass that on to job ${job.id}: ${error.message}`,
        { refused: { code: error.code } },
        job.id,
      );
      return { state: 'idle', jobId: job.id };
    }
    const raised = settled.humanResponse?.escalation;
    await this.say(
      conversationId,
      action === 'reject'
        ? `Understood: job ${job.id} is stopped.`
        : action === 'escalate'
          ? `Job ${job.id} continues in genius mode from where it stopped.`
          : action === 'raise_cap' && raised
            ? `Job ${job.id} continues from where it stopped, with ${describeRaise(raised.caps, job.question)}.`
            : `Thanks — job ${job.id} resumes with your ${action === 'approve' ? 'approval' : 'answer'}.`,
      { action, by: sender.actor, ...(raised ? { escalation: raised } : {}) },
      job.id,
    );
    return { state: action === 'reject' ? 'idle' : 'working', jobId: job.id };
  }

  /**
   * A message read as a new task while a job waits: only when the grammar alone reads it as a task
   * that names a file (no model call), so answers and small talk are not mistaken for work.
   */
  private async readAsNewTask(text: string, repo: string): Promise<{ repo: string; understanding: Understanding } | null> {
    const outcome = await this.intake.read({ goal: text, repo, source: 'chat', useModel: false });
    if (outcome.kind !== 'understood' || outcome.understanding.intent.targets.length === 0) return null;
    return { repo, understanding: outcome.understanding };
  }

  /** An understood task: ask for the repository, propose a genius job, or start a mechanic one. */
  private async takeTask(
    conversationId: string,
    text: string,
    repo: string | null,
    understanding: Understanding,
    actor: RequestIdentityInfo['actor'],
  ): Promise<Routed> {
    const { intent } = understanding;
    if (!repo) {
      await this.say(conversationId, 'Which repository should I work on? Send a server path (like `/srv/repos/shop`) or a git URL.', {
        pendingTask: { goal: text },
      });
      return { state: 'idle' };
    }
    if (understanding.mode === 'genius') {
      await this.say(
        conversationId,
        `I read this as **${intent.operation.replace('_', ' ')}**${intent.targets.length ? ` on ${intent.targets.map((t) => `\`${t}\``).join(', ')}` : ''} in \`${repo}\` — a larger change that runs in genius mode (stronger model, looser budget). Say **go ahead** to start it.`,
        { proposal: { goal: text, repo, operation: intent.operation, mode: intent.mode, source: intent.source.kind } },
      );
      return { state: 'idle' };
    }
    return this.start(conversationId, text, repo, understanding, actor);
  }

  /**
   * Reads a message through intake, holding the most an intake model call may cost on the
   * conversation first; without room in the budget the grammar alone reads it.
   */
  private async readWithinBudget(
    conversationId: string,
    text: string,
    repo: string | undefined,
  ): Promise<{ outcome: IntakeOutcome; reservation: ChatReservation | null; overBudget: boolean }> {
    if (!this.intake.modelAvailable) {
      return { outcome: await this.intake.read({ goal: text, repo, source: 'chat' }), reservation: null, overBudget: false };
    }
    const reservation = await this.budget.reserve(conversationId, {
      tokens: this.config.intake.maxOutputTokens,
      costCents: this.config.intake.maxCostCents,
    });
    try {
      const outcome = await this.intake.read({ goal: text, repo, source: 'chat', ...(reservation ? {} : { useModel: false }) });
      return { outcome, reservation, overBudget: !reservation };
    } catch (error) {
      if (reservation) await this.budget.settle(reservation, null);
      throw error;
    }
  }

  /** Says that the conversation's model budget is used up, and what still works. */
  private async overBudget(conversationId: string): Promise<Routed> {
    const spend = await this.budget.spend(conversationId);
    await this.say(
      conversationId,
      `This conversation has used its model budget (${spend.costCents.toFixed(2)}¢ of ${spend.maxCostCents}¢, ${spend.tokens} of ${spend.maxTokens} tokens), so I will not ask the model again here. ` +
        'I can still start tasks I can read without it (for example "fix the failing test in src/auth.ts"), report status and take approvals and answers. ' +
        'Start a new conversation to go on, or ask an operator to raise CHAT_MAX_COST_CENTS / CHAT_MAX_TOKENS.',
      { budget: { exhausted: true, ...spend } },
    );
    return { state: 'idle' };
  }

  private async start(
    conversationId: string,
    goal: string,
    repo: string,
    understood: Understanding | undefined,
    actor: RequestIdentityInfo['actor'],
  ): Promise<Routed> {
    try {
      const job = await this.createJob.execute({
        goal,
        repo,
        conversationId,
        source: 'chat',
        actor,
        ...(understood ? { understood: this.jobIntake.toResult(understood) } : {}),
      });
      const intent = (job.intent ?? {}) as { operation?: string; targets?: string[] };
      const rendered = this.tdln.render('job_started', {
        job: { id: job.id, title: goal },
        intent: { operation: intent.operation ?? 'task' },
        mode: job.mode,
        targets: intent.targets ?? [],
      });
      await this.say(
        conversationId,
        rendered.errors.length ? `Started job ${job.id}.` : rendered.text,
        { jobCard: { id: job.id, status: job.status, mode: job.mode } },
        job.id,
      );
      return { state: 'queueing', jobId: job.id };
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      const details = error.details as { suggestions?: string[] } | undefined;
      await this.say(
        conversationId,
        `${error.message}${details?.suggestions?.length ? `\n\nFor example:\n${details.suggestions.map((s) => `- ${s}`).join('\n')}` : ''}`,
        { refused: { code: error.code } },
      );
      return { state: 'idle' };
    }
  }

  private async progress(conversationId: string, waiting: WaitingJob[] = []): Promise<Routed> {
    if (waiting.length > 0) {
      await this.say(conversationId, this.stillWaiting(waiting), { progress: { status: 'waiting_human' } }, waiting[0].id);
      return { state: 'idle', jobId: waiting[0].id };
    }
    const [job] = await this.dataSource.query(
      `SELECT id, status, current_action, used_steps, max_steps, goal FROM jobs
        WHERE conversation_id = $1 AND agent_role <> 'evaluator' ORDER BY created_at DESC LIMIT 1`,
      [conversationId],
    );
    if (!job) {
      await this.say(
        conversationId,
        'There is no job in this conversation yet. Tell me what to do, for example "fix the failing test in src/auth.ts".',
      );
      return { state: 'idle' };
    }
    const active = ['queued', 'running', 'cancelling'].includes(job.status);
    const text = active
      ? `Job ${job.id} is ${job.status}${job.current_action ? ` — ${job.current_action}` : ''} (${job.used_steps} of ${job.max_steps} tool calls used).`
      : `The last job, ${job.id} ("${job.goal}"), is ${job.status.replace('_', ' ')}.`;
    await this.say(conversationId, text, { progress: { status: job.status } }, job.id);
    return { state: active ? 'working' : 'idle', jobId: job.id };
  }

  /** The jobs of the conversation that wait for a person, the most recently parked first. */
  private async waitingJobs(conversationId: string): Promise<WaitingJob[]> {
    const rows: { id: string; repo: string; pending_question: PendingQuestion | null }[] = await this.dataSource.query(
      `SELECT id, repo, pending_question FROM jobs WHERE conversation_id = $1 AND status = 'waiting_human' ORDER BY updated_at DESC LIMIT 20`,
      [conversationId],
    );
    return rows.map((r) => ({ id: r.id, repo: r.repo, question: r.pending_question }));
  }

  private async answerWithModel(conversationId: string, text: string): Promise<Routed> {
    await this.messages.status(conversationId, 'typing');
    const history = (await this.messages.list(conversationId, 20)).items.filter((m) => m.role !== 'system');
    const turns = history
      .slice(-10)
      .map((m) => ({ role: m.role === 'user' ? ('user' as const) : ('assistant' as const), content: m.content }));
    if (turns.length === 0 || turns[turns.length - 1].role !== 'user') turns.push({ role: 'user', content: text });
    // The Messages API wants alternating turns starting with the user: merge runs of the same role.
    const merged = turns.reduce<{ role: 'user' | 'assistant'; content: string }[]>((out, t) => {
      const prev = out[out.length - 1];
      if (prev && prev.role === t.role) prev.content += `\n\n${t.content}`;
      else out.push({ ...t });
      return out;
    }, []);
    while (merged.length && merged[0].role !== 'user') merged.shift();
    const request = { system: COORDINATOR_SYSTEM, tools: [], messages: merged };
    const input = this.model.estimateInputTokens(request);
    const reservation = await this.budget.reserve(conversationId, {
      tokens: input + REPLY_MAX_TOKENS,
      costCents: this.model.estimateCostCents('mechanic', input, REPLY_MAX_TOKENS),
    });
    if (!reservation) return this.overBudget(conversationId);
    let response;
    try {
      response = await this.model.call({ mode: 'mechanic', ...request, maxTokens: REPLY_MAX_TOKENS, userId: conversationId });
    } catch (error) {
      await this.budget.settle(reservation, null);
      throw error;
    }
    await this.budget.settle(reservation, {
      stage: 'reply',
      model: response.model,
      tokens: response.totalTokens,
      costCents: response.costCents,
      latencyMs: response.latencyMs,
      requestId: response.requestId,
      usage: { ...response.usage },
    });
    const answer =
      response.message.content
        .filter((b) => b.type === 'text')
        .map((b) => (b as { text: string }).text)
        .join('\n')
        .trim() || 'I have no answer to that.';
    await this.say(conversationId, answer, { model: response.model, tokens: response.totalTokens, costCents: response.costCents });
    return { state: 'idle' };
  }

  private async say(
    conversationId: string,
    content: string,
    data: Record<string, unknown> = {},
    jobId: string | null = null,
  ): Promise<void> {
    await this.messages.post({ conversationId, role: 'assistant', content, jobId, data, actor: 'agent:coordinator' });
  }

  private async lastAssistantData(
    conversationId: string,
  ): Promise<{ proposal?: { goal: string; repo: string }; pendingTask?: { goal: string } } | null> {
    const [row] = await this.dataSource.query(
      `SELECT data FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [conversationId],
    );
    return row?.data ?? null;
  }
}

/** The intake model call behind a reading, as the conversation is charged for it (none when cached or not made). */
function intakeCall(outcome: IntakeOutcome): ChatModelCall | null {
  const call: IntakeModelCall | undefined = outcome.kind === 'understood' ? outcome.understanding.model : outcome.model;
  if (!call || call.cached) return null;
  return {
    stage: 'intake',
    model: call.model,
    tokens: call.tokens,
    costCents: call.costCents,
    latencyMs: call.latencyMs,
    requestId: call.requestId,
  };
}

/** The raised cap, as a person reads it ("its step cap at 120 steps"). */
function describeRaise(caps: JobCaps, question: PendingQuestion | null): string {
  const raise = question?.data?.raise as { cap: keyof JobCaps } | null | undefined;
  const cap = raise?.cap ?? 'maxSteps';
  const name = { maxSteps: 'step', maxTokens: 'token', maxCostCents: 'cost', maxWallMs: 'time' }[cap];
  return `its ${name} cap at ${describeCap(cap, caps[cap])}`;
}
