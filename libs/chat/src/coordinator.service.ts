import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { DomainException, LOGGER, RepositoryAccess } from '@app/common';
import { ModelGateway } from '@app/agents';
import { IntakeService, ModelAwareJobIntake, Understanding } from '@app/intake';
import { CreateJobUseCase, REPO_PATTERN, RespondJobUseCase } from '@app/jobs';
import { TDLN, TdlnEngine } from '@app/tdln';
import { MessagesService } from './messages.service';

const GO_AHEAD = /^(go ahead|yes|yep|do it|ok|okay|start( it)?|proceed|sure|please do)\b/i;
const STATUS_QUESTION = /\b(status|progress|how('s| is) it going|what are you (doing|working on)|where are we|is it done)\b/i;
const APPROVE = /^(approve|approved|yes|ok|okay|go ahead|lgtm|do it)\b/i;
const REJECT = /^(reject|no|stop|cancel|abort|don'?t)\b/i;
/** A repository named in a message: an absolute path or a git URL, as a word of its own. */
const REPO_IN_TEXT = /(?:^|\s)((?:https?|ssh|git|file):\/\/\S+|\/[\w.\-/]+)/;

const COORDINATOR_SYSTEM = `Role: coordinator
You are the Coordinator of an AI coding team, talking with the person who gives the team work.
Answer questions about the team, its jobs and how to ask for work, briefly and concretely.
You never write code yourself. When the person wants a change, tell them how to phrase it as a task
(for example "fix the failing login test in src/auth.ts") and which repository it should run on.`;

/**
 * The Coordinator in chat: it routes each message — an answer to a waiting job, "go ahead" for a
 * proposed job, a status question, a new task — reading tasks through the one intake path (the
 * grammar first, the model when it abstains, then the policy), and only talks freely, through the
 * model, when a message is not a task at all. It never writes code.
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
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    private readonly repositories: RepositoryAccess,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'coordinator' });
  }

  /** Answers one user message in the background; every outcome is a message and a status on the stream. */
  async respond(conversationId: string, text: string, explicitRepo?: string): Promise<void> {
    let finalState: 'idle' | 'working' | 'queueing';
    let jobId: string | null;
    await this.messages.status(conversationId, 'thinking');
    try {
      const result = await this.route(conversationId, text.trim(), explicitRepo);
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

  private async route(
    conversationId: string,
    text: string,
    explicitRepo?: string,
  ): Promise<{ state: 'idle' | 'working' | 'queueing'; jobId?: string }> {
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

    // 1. An answer to a job that waits for a person in this conversation.
    const [waiting] = await this.dataSource.query(
      `SELECT id, pending_question FROM jobs WHERE conversation_id = $1 AND status = 'waiting_human' ORDER BY updated_at DESC LIMIT 1`,
      [conversationId],
    );
    if (waiting) {
      const approval = waiting.pending_question?.kind === 'approval';
      const action = approval && APPROVE.test(text) ? 'approve' : approval && REJECT.test(text) ? 'reject' : 'answer';
      await this.respondJob.execute({ jobId: waiting.id, action, answer: action === 'answer' ? text : undefined, actor: 'user' });
      await this.say(
        conversationId,
        action === 'reject'
          ? `Understood: job ${waiting.id} is stopped.`
          : `Thanks — job ${waiting.id} resumes with your ${action === 'approve' ? 'approval' : 'answer'}.`,
        { action },
        waiting.id,
      );
      return { state: action === 'reject' ? 'idle' : 'working', jobId: waiting.id };
    }

    const last = await this.lastAssistantData(conversationId);
    // 2. "go ahead" after a proposal, or a repository given for a task that lacked one.
    if (last?.proposal && GO_AHEAD.test(text)) return this.start(conversationId, last.proposal.goal, last.proposal.repo);
    if (last?.pendingTask && repo && named) return this.start(conversationId, last.pendingTask.goal, repo);

    // 3. A status question.
    if (STATUS_QUESTION.test(text)) return this.progress(conversationId);

    // 4. A task, read through the one intake path.
    const outcome = await this.intake.read({ goal: text, repo: repo ?? undefined, source: 'chat' });
    if (outcome.kind === 'understood') {
      const { intent } = outcome.understanding;
      if (!repo) {
        await this.say(conversationId, 'Which repository should I work on? Send a server path (like `/srv/repos/shop`) or a git URL.', {
          pendingTask: { goal: text },
        });
        return { state: 'idle' };
      }
      if (outcome.understanding.mode === 'genius') {
        await this.say(
          conversationId,
          `I read this as **${intent.operation.replace('_', ' ')}**${intent.targets.length ? ` on ${intent.targets.map((t) => `\`${t}\``).join(', ')}` : ''} in \`${repo}\` — a larger change that runs in genius mode (stronger model, looser budget). Say **go ahead** to start it.`,
          { proposal: { goal: text, repo, operation: intent.operation, mode: intent.mode, source: intent.source.kind } },
        );
        return { state: 'idle' };
      }
      return this.start(conversationId, text, repo, outcome.understanding);
    }
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
      { reason?: string; missing?: string; clarification?: string; suggestions?: string[] } | undefined;
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

  private async start(
    conversationId: string,
    goal: string,
    repo: string,
    understood?: Understanding,
  ): Promise<{ state: 'queueing' | 'idle'; jobId?: string }> {
    try {
      const job = await this.createJob.execute({
        goal,
        repo,
        conversationId,
        source: 'chat',
        actor: 'user',
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

  private async progress(conversationId: string): Promise<{ state: 'idle' | 'working'; jobId?: string }> {
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

  private async answerWithModel(conversationId: string, text: string): Promise<{ state: 'idle' }> {
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
    const response = await this.model.call({
      mode: 'mechanic',
      system: COORDINATOR_SYSTEM,
      tools: [],
      messages: merged,
      maxTokens: 1_024,
      userId: conversationId,
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
