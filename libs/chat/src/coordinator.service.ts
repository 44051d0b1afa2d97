import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, DomainException, JobCaps, LOGGER, RepositoryAccess, RequestIdentityInfo } from '@app/common';
import { ModelGateway } from '@app/agents';
import { IntakeModelCall, IntakeOutcome, IntakeService, ModelAwareJobIntake, Understanding } from '@app/intake';
import { CreateJobUseCase, JobDelegation, PendingQuestion, REPO_PATTERN, RespondAction, RespondJobUseCase, describeCap } from '@app/jobs';
import { RenderedText, TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { ChatBudgetService, ChatModelCall, ChatReservation } from './chat-budget.service';
import {
  EscalationChoice,
  decisionOf,
  escalationChoiceOf,
  explicitAnswer,
  isPlainStatusQuestion,
  isQuestion,
  isStatusQuestion,
} from './chat-reply-rules';
import { CoordinatorAgent, DelegateOutcome } from './coordinator-agent';
import { CoordinatorReplies, Routed, WaitingJob } from './coordinator-replies';
import { MessagesService } from './messages.service';

/** Who sent a chat message: their identity as the request carried it, and the message. */
export interface ChatSender extends RequestIdentityInfo {
  messageId?: string;
}

/** A repository named in a message: an absolute path or a git URL, as a word of its own. */
const REPO_IN_TEXT = /(?:^|\s)((?:https?|ssh|git|file):\/\/\S+|\/[\w.\-/]+)/;
/** How many earlier messages the Coordinator agent sees. */
const HISTORY = 12;

/** A job card the agent's run holds back, to post with its reply as one message. */
interface HeldCard {
  rendered: RenderedText;
  data: Record<string, unknown>;
  jobId: string;
}

/**
 * The Coordinator in chat: it routes each message — a decision or an answer for a waiting job, "go
 * ahead" for a proposed job, a status question, a new task — reading tasks through the one intake
 * path (the grammar first, the model when it abstains, then the policy). These rules come first and
 * need no model; a waiting approval is resolved only by an unmistakable approve or reject. A message
 * that is no task (or a question the grammar would take for one) goes, when a model is configured,
 * to the {@link CoordinatorAgent}, which looks at the repository and the jobs, delegates work and
 * answers; its model calls are budgeted and metered per conversation ({@link ChatBudgetService}).
 * What it says, and the jobs it starts, go through {@link CoordinatorReplies}. It never writes code.
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
    private readonly agent: CoordinatorAgent,
    private readonly replies: CoordinatorReplies,
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
      await this.replies.say(conversationId, this.tdln.text('chat_error', {}), { error: (error as Error).message });
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
        await this.replies.say(
          conversationId,
          this.tdln.text('request_refused', { message: refusal.message, hint: refusal.hint, suggestions: [] }),
          {
            refused: { code: 'repo_not_allowed', reason: refusal.reason },
          },
        );
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
      if (decision === 'approve')
        return this.replies.start(
          conversationId,
          last.proposal.goal,
          last.proposal.repo,
          undefined,
          sender.actor,
          last.proposal.delegation,
        );
      if (decision === 'reject') {
        await this.replies.say(conversationId, this.tdln.text('proposal_declined', {}), { proposalDeclined: true });
        return { state: 'idle' };
      }
    }
    if (last?.pendingTask && repo && named) return this.replies.start(conversationId, last.pendingTask.goal, repo, undefined, sender.actor);

    // 3. A status question.
    if (isStatusQuestion(text)) return this.replies.progress(conversationId);

    // 4. A task, read through the one intake path; the model's reading, when it is asked, is budgeted here.
    const reading = await this.readWithinBudget(conversationId, text, repo ?? undefined);
    const outcome = reading.outcome;
    // A question the grammar takes for a task ("how does add work in src/calc.js?") is asked, not ordered: the agent answers it.
    if (outcome.kind === 'understood' && isQuestion(text) && this.model.configured) {
      if (reading.reservation) await this.budget.settle(reading.reservation, intakeCall(outcome));
      return this.runAgent(conversationId, text, repo, sender);
    }
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
      await this.replies.say(conversationId, this.tdln.text('request_refused', { message: outcome.error.message, suggestions }), {
        refused: { code: outcome.error.code },
      });
      return { state: 'idle' };
    }
    const abstain = outcome.abstain;
    const details = outcome.error.details as
      { reason?: string; missing?: string; clarification?: string; suggestions?: string[]; model?: string } | undefined;
    // The model was needed to read it, and this conversation has no budget left for it.
    if (reading.overBudget && details?.model === 'not_asked') return this.replies.overBudget(conversationId);
    // Not a task at all (the grammar saw none and the model, if asked, found no work in it): talk.
    const notATask = details?.missing === 'operation' && (outcome.source === 'model' || details?.reason === 'no_match');
    if (notATask && this.model.configured) return this.runAgent(conversationId, text, repo, sender);
    const question = details?.clarification ?? abstain?.clarification ?? outcome.error.message;
    const suggestions = details?.suggestions ?? abstain?.suggestions ?? [];
    await this.replies.say(conversationId, this.tdln.text('needs_clarification', { question, suggestions }), {
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
      await this.replies.say(
        conversationId,
        this.tdln.text('approval_which_job', {
          several: escalations.length > 1,
          escalations: true,
          decision: choice.choice,
          waiting: escalations.map((w) => ({ id: w.id, question: w.question?.question ?? 'a decision' })),
        }),
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
      await this.replies.say(
        conversationId,
        this.tdln.text('approval_which_job', {
          several: decidable.length > 1,
          escalations: false,
          decision: decision.decision,
          waiting: decidable.map((w) => ({ id: w.id, question: w.question?.question ?? 'a decision' })),
        }),
        { reminder: { jobIds: decidable.map((w) => w.id), actions: ['approve', 'reject'] } },
      );
      return { state: 'idle' };
    }
    const explicit = explicitAnswer(text);
    if (explicit !== null && questions.length > 0) return this.resolve(conversationId, questions[0], 'answer', explicit, sender);
    // Only an unmistakable status question while a question waits: "return status 404 instead" is an answer.
    if (questions.length > 0 ? isPlainStatusQuestion(text) : isStatusQuestion(text)) return this.replies.progress(conversationId, waiting);

    const newTask = await this.readAsNewTask(text, repo ?? waiting[0].repo);
    if (newTask && newTask.understanding.mode === 'genius') {
      // A proposal would wait for "go ahead", which here would settle the waiting approval instead: one decision at a time.
      await this.replies.say(conversationId, this.replies.stillWaiting(waiting, { deferred_proposal: true }), {
        reminder: { jobIds: waiting.map((w) => w.id) },
      });
      return { state: 'idle' };
    }
    if (newTask) {
      const routed = await this.replies.start(conversationId, text, newTask.repo, newTask.understanding, sender.actor);
      await this.replies.say(conversationId, this.replies.stillWaiting(waiting), { reminder: { jobIds: waiting.map((w) => w.id) } });
      return routed;
    }
    if (questions.length > 0) return this.resolve(conversationId, questions[0], 'answer', text, sender);
    const deciding = [...escalations, ...approvals];
    await this.replies.say(
      conversationId,
      this.replies.stillWaiting(deciding, { not_a_decision: true }),
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
      await this.replies.say(
        conversationId,
        this.tdln.text('response_refused', { job: { id: job.id }, reason: error.message }),
        { refused: { code: error.code } },
        job.id,
      );
      return { state: 'idle', jobId: job.id };
    }
    const raised = settled.humanResponse?.escalation;
    await this.replies.say(
      conversationId,
      this.tdln.text('response_recorded', {
        job: { id: job.id },
        rejected: action === 'reject',
        escalated: action === 'escalate',
        raised: action === 'raise_cap' && raised ? describeRaise(raised.caps, job.question) : '',
        given: action === 'approve' ? 'approval' : 'answer',
      }),
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
    if (!repo) {
      await this.replies.say(conversationId, this.tdln.text('needs_repository', {}), { pendingTask: { goal: text } });
      return { state: 'idle' };
    }
    if (understanding.mode === 'genius') {
      await this.replies.propose(conversationId, text, repo, understanding);
      return { state: 'idle' };
    }
    return this.replies.start(conversationId, text, repo, understanding, actor);
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

  /**
   * Runs the Coordinator agent on a message: it may read the repository, look at and cancel jobs,
   * delegate a task and ask; what it says is posted here. Without budget left it says so.
   */
  private async runAgent(conversationId: string, text: string, repo: string | null, sender: ChatSender): Promise<Routed> {
    await this.messages.status(conversationId, 'typing');
    const history = (await this.messages.recent(conversationId, HISTORY + 1)).filter((m) => m.role !== 'system');
    // The message being answered is the newest; the agent gets it on its own.
    if (history.at(-1)?.role === 'user' && (history.at(-1)?.id === sender.messageId || history.at(-1)?.content === text)) history.pop();
    const cards: HeldCard[] = [];
    const result = await this.agent.run({
      conversationId,
      text,
      history: history.slice(-HISTORY),
      repo,
      actor: sender.actor,
      messageId: sender.messageId,
      delegate: (goal) => this.delegate(conversationId, goal, repo, sender, cards),
    });
    const jobId = result.delegated.at(-1);
    const routed: Routed = jobId ? { state: 'queueing', jobId } : { state: 'idle' };
    switch (result.kind) {
      case 'over_budget':
        await this.flushCards(conversationId, cards);
        await this.replies.overBudget(conversationId);
        return routed;
      case 'proposed':
        await this.flushCards(conversationId, cards);
        return routed;
      default: {
        // One message per event: the hand-over and the answer to the same message are one reply, with one job card.
        const card = cards.pop();
        await this.flushCards(conversationId, cards);
        if (!card) {
          await this.replies.say(conversationId, result.rendered, result.data);
          return routed;
        }
        await this.messages.post({
          conversationId,
          role: 'assistant',
          content: `${card.rendered.text}\n\n${result.rendered.text}`,
          jobId: card.jobId,
          data: { ...result.data, ...card.data, template: renderedRef(result.rendered), cardTemplate: renderedRef(card.rendered) },
          actor: 'agent:coordinator',
        });
        return routed;
      }
    }
  }

  /** Posts job cards the agent's run held back (when its reply did not carry them). */
  private async flushCards(conversationId: string, cards: HeldCard[]): Promise<void> {
    for (const card of cards.splice(0)) await this.replies.say(conversationId, card.rendered, card.data, card.jobId);
  }

  /**
   * The agent's `delegate`: the task goes through the same intake (grammar, model, policy) and job
   * creation as any chat task, as the Coordinator's act for the person's message — the job records
   * that provenance. A larger task is proposed instead, and starts on "go ahead".
   */
  private async delegate(
    conversationId: string,
    goal: string,
    repo: string | null,
    sender: ChatSender,
    held?: HeldCard[],
  ): Promise<DelegateOutcome> {
    if (!repo) return { kind: 'refused', code: 'no_repository', message: 'This conversation has no repository yet.', suggestions: [] };
    const delegation: JobDelegation = {
      by: 'agent:coordinator',
      conversationId,
      messageId: sender.messageId ?? null,
      requestedBy: sender.actor,
    };
    const reading = await this.readWithinBudget(conversationId, goal, repo);
    const outcome = reading.outcome;
    if (outcome.kind !== 'understood') {
      if (reading.reservation) await this.budget.settle(reading.reservation, intakeCall(outcome));
      const details = outcome.error.details as { suggestions?: string[]; model?: string } | undefined;
      if (reading.overBudget && details?.model === 'not_asked') return { kind: 'over_budget' };
      return {
        kind: 'refused',
        code: outcome.error.code,
        message: outcome.error.message,
        suggestions: details?.suggestions ?? outcome.abstain?.suggestions ?? [],
      };
    }
    if (outcome.understanding.mode === 'genius') {
      if (reading.reservation) await this.budget.settle(reading.reservation, intakeCall(outcome));
      await this.replies.propose(conversationId, goal, repo, outcome.understanding, delegation);
      return { kind: 'proposed' };
    }
    let started = false;
    try {
      const job = await this.createJob.execute({
        goal,
        repo,
        conversationId,
        source: 'chat',
        actor: delegation.by,
        delegation,
        understood: this.jobIntake.toResult(outcome.understanding),
      });
      started = true;
      const intent = (job.intent ?? {}) as { operation?: string };
      const operation = intent.operation ?? outcome.understanding.intent.operation;
      const card: HeldCard = {
        rendered: this.tdln.text('job_delegated', { job: { id: job.id, goal: job.goal }, operation, mode: job.mode }),
        data: { jobCard: { id: job.id, status: job.status, mode: job.mode }, delegation },
        jobId: job.id,
      };
      if (held) held.push(card);
      else await this.replies.say(conversationId, card.rendered, card.data, card.jobId);
      return { kind: 'started', job, operation };
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      const details = error.details as { suggestions?: string[] } | undefined;
      return { kind: 'refused', code: error.code, message: error.message, suggestions: details?.suggestions ?? [] };
    } finally {
      // Reading a task that became a job is the job's cost; otherwise the conversation's.
      if (reading.reservation) await this.budget.settle(reading.reservation, started ? null : intakeCall(outcome));
    }
  }

  /** The jobs of the conversation that wait for a person, the most recently parked first. */
  private async waitingJobs(conversationId: string): Promise<WaitingJob[]> {
    const rows: { id: string; repo: string; pending_question: PendingQuestion | null }[] = await this.dataSource.query(
      `SELECT id, repo, pending_question FROM jobs WHERE conversation_id = $1 AND status = 'waiting_human' ORDER BY updated_at DESC LIMIT 20`,
      [conversationId],
    );
    return rows.map((r) => ({ id: r.id, repo: r.repo, question: r.pending_question }));
  }

  private async lastAssistantData(
    conversationId: string,
  ): Promise<{ proposal?: { goal: string; repo: string; delegation?: JobDelegation }; pendingTask?: { goal: string } } | null> {
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
