import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EnumField, IntField, JOB_MODES, JobMode, StringField, UuidField } from '@app/common';
import { IntentView } from '@app/tdln';
import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { HumanResponse, Job, PendingQuestion, RESPOND_ACTIONS, RespondAction, actionsFor } from '../entities/job.entity';
import { JOB_STATUSES, JobStatus } from '../job-status';
import { REQUESTABLE_ROLES, RequestableRole, UNREVIEWED_ROLES } from '../job-roles';

/** Every agent role a job may carry (list filters); which a request may name is {@link REQUESTABLE_ROLES}. */
export const AGENT_ROLES = ['coordinator', 'planner', 'builder', 'reviewer', 'evaluator', 'watcher'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** A repository: an absolute server path, a URL (https, http, ssh, git, file) or scp-like `user@host:path`. */
// eslint-disable-next-line no-control-regex -- a server path is anything but NUL, which no path may hold
export const REPO_PATTERN = /^(\/[^\x00]*|(https?|ssh|git|file):\/\/[^\s]+|[\w.-]+@[\w.-]+:[^\s]+)$/;

/** Body of `POST /api/jobs`. */
export class CreateJobRequest {
  @StringField({
    description: 'What to do, in plain words',
    minLength: 1,
    maxLength: 10_000,
    example: 'fix the failing login test in src/auth.ts',
  })
  goal: string;

  @StringField({
    description: 'Repository: a server-side absolute path or a git URL',
    minLength: 1,
    maxLength: 2_000,
    pattern: REPO_PATTERN,
    patternHint: 'repo must be an absolute server path, a git URL (https, http, ssh, git, file) or user@host:path',
    example: '/srv/repos/shop',
  })
  repo: string;

  @StringField({
    description: 'Branch, tag or commit to start from (default: the repository HEAD)',
    optional: true,
    maxLength: 255,
    pattern: /^[^\s~^:?*[\\]+$/,
    patternHint: 'baseRef must be a valid git ref',
  })
  baseRef?: string;

  @EnumField({
    description: 'mechanic (small, cheap, tight caps) or genius (strong model, loose caps); default from the request',
    values: JOB_MODES,
    enumName: 'JobMode',
    optional: true,
  })
  mode?: JobMode;

  @EnumField({
    description: `Agent role that runs the job (default coordinator: the whole team). ${UNREVIEWED_ROLES.join(', ')} skips the Planner, the Reviewer, the quality gate and the TruthPack, and needs a token with the admin scope (403 role_requires_admin otherwise)`,
    values: REQUESTABLE_ROLES,
    enumName: 'RequestableRole',
    optional: true,
  })
  role?: RequestableRole;

  @IntField({ description: 'Higher runs first (default 0)', optional: true, min: -100, max: 100 })
  priority?: number;

  @IntField({ description: 'Cap on tool calls', optional: true, min: 1, max: 100_000 })
  maxSteps?: number;

  @IntField({ description: 'Cap on model tokens (input + output)', optional: true, min: 1, max: 1_000_000_000 })
  maxTokens?: number;

  @IntField({ description: 'Cap on model cost in US cents', optional: true, min: 1, max: 10_000_000 })
  maxCostCents?: number;

  @IntField({ description: 'Cap on wall time in milliseconds', optional: true, min: 1_000, max: 86_400_000 })
  maxWallMs?: number;

  @IntField({ description: 'Attempts before the job fails for good (default from config)', optional: true, min: 1, max: 100 })
  maxAttempts?: number;

  @UuidField({ description: 'Conversation the job belongs to', optional: true })
  conversationId?: string;
}

/** Query of `GET /api/jobs`. */
export class ListJobsQuery {
  @EnumField({ description: 'Only jobs in this status', values: JOB_STATUSES, enumName: 'JobStatus', optional: true })
  status?: JobStatus;

  @EnumField({ description: 'Only jobs of this mode', values: JOB_MODES, enumName: 'JobMode', optional: true })
  mode?: JobMode;

  @UuidField({ description: 'Only jobs of this conversation', optional: true })
  conversationId?: string;

  @EnumField({
    description:
      'Only jobs addressed to this agent role (coordinator: the team’s top-level jobs). Without it, the jobs a request can start (coordinator and builder): internal jobs such as evaluations are listed on their parent job (`children` of GET /api/jobs/{id}) or with role=evaluator',
    values: AGENT_ROLES,
    enumName: 'AgentRole',
    optional: true,
  })
  role?: AgentRole;

  @IntField({ description: 'Page size (default 50)', optional: true, min: 1, max: 500 })
  limit?: number;

  @StringField({ description: 'Opaque cursor from the previous page', optional: true, maxLength: 500 })
  cursor?: string;
}

/** Cap fields a request may set: the same as `POST /api/jobs` takes. */
class CapFields {
  @IntField({ description: 'Cap on tool calls', optional: true, min: 1, max: 100_000 })
  maxSteps?: number;

  @IntField({ description: 'Cap on model tokens (cache reads weighted by their price)', optional: true, min: 1, max: 1_000_000_000 })
  maxTokens?: number;

  @IntField({ description: 'Cap on model cost in US cents', optional: true, min: 1, max: 10_000_000 })
  maxCostCents?: number;

  @IntField({ description: 'Cap on wall time in milliseconds', optional: true, min: 1_000, max: 86_400_000 })
  maxWallMs?: number;
}

/** Body of `POST /api/jobs/{id}/respond`. */
export class RespondJobRequest extends CapFields {
  @EnumField({
    description:
      'approve or reject a pending approval; answer (or reject) a question; escalate (continue in genius mode), raise_cap (with the caps to raise, ' +
      'or the suggested one) or reject an escalation. An action that does not fit the question is 400 invalid_response',
    values: RESPOND_ACTIONS,
    enumName: 'RespondAction',
  })
  action: RespondAction;

  @ApiPropertyOptional({ description: 'The answer text (required with action=answer)', minLength: 1, maxLength: 10_000 })
  @ValidateIf((o: RespondJobRequest) => o.action === 'answer' || o.answer !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(10_000)
  answer?: string;
}

/** Body of `POST /api/jobs/{id}/retry` (optional): the mode and caps the retry runs with. */
export class RetryJobRequest extends CapFields {
  @EnumField({
    description: 'Run the retry in this mode (genius: the strong model and at least genius mode’s default caps)',
    values: JOB_MODES,
    enumName: 'JobMode',
    optional: true,
  })
  mode?: JobMode;
}

/** The question or approval a waiting job puts to a person. */
export class PendingQuestionView {
  @ApiProperty({
    enum: ['question', 'approval', 'escalation'],
    description:
      'approval: approve or reject; question: a free-text answer; escalation: a cap reached or a second send-back (escalate, raise_cap or reject)',
  })
  kind: PendingQuestion['kind'];
  @ApiProperty() question: string;
  @ApiPropertyOptional({ description: 'The role or gate that asks (planner, builder, reviewer, quality gate...)' }) askedBy?: string;
  @ApiPropertyOptional({ type: [String], description: 'Choices offered with the question' }) options?: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'What the question is about (the tool call, the verdict...); an escalation: its trigger, the genius option (mode and caps) and the raise option (cap, current, suggested, max)',
  })
  data?: Record<string, unknown>;
  @ApiProperty({
    enum: RESPOND_ACTIONS,
    enumName: 'RespondAction',
    isArray: true,
    description: 'The actions POST /api/jobs/{id}/respond takes for this question',
  })
  actions: RespondAction[];

  static of(q: PendingQuestion): PendingQuestionView {
    return Object.assign(new PendingQuestionView(), { ...q, actions: actionsFor(q) });
  }
}

export class JobCapsView {
  @ApiProperty() maxSteps: number;
  @ApiProperty() maxTokens: number;
  @ApiProperty() maxCostCents: number;
  @ApiProperty() maxWallMs: number;
}

/** The mode and caps an escalation gave a job. */
export class EscalationView {
  @ApiProperty({ enum: JOB_MODES, enumName: 'JobMode' }) mode: JobMode;
  @ApiProperty({ type: JobCapsView }) caps: JobCapsView;
}

/** How a response reached the service, and what identified the person. */
export class ResponseChannelView {
  @ApiProperty({ enum: ['api', 'chat'] }) channel: 'api' | 'chat';
  @ApiProperty({ enum: ['bearer', 'cookie', 'none'], description: 'bearer token, browser session cookie, or none (AUTH=off)' })
  auth: 'bearer' | 'cookie' | 'none';
  @ApiPropertyOptional({ format: 'uuid', description: 'The browser session it came from' }) sessionId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The conversation of a chat response' }) conversationId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The chat message that gave it' }) messageId?: string;
}

/** The question a response resolved. */
export class ResolvedQuestionView {
  @ApiProperty({ enum: ['question', 'approval', 'escalation'] }) kind: PendingQuestion['kind'];
  @ApiProperty() question: string;
  @ApiPropertyOptional() askedBy?: string;
}

/** The last response a person gave to a waiting job: what, who, how, when, and to which question. */
export class JobResponseView {
  @ApiProperty({ enum: RESPOND_ACTIONS, enumName: 'RespondAction' }) action: RespondAction;
  @ApiProperty({ type: String, nullable: true }) answer: string | null;
  @ApiProperty({ description: 'Who gave it, as the ledger names them: token:<prefix>, or user with access control off' }) by: string;
  @ApiProperty({ type: ResponseChannelView, nullable: true }) via: ResponseChannelView | null;
  @ApiProperty({ type: ResolvedQuestionView, nullable: true }) question: ResolvedQuestionView | null;
  @ApiProperty({ type: EscalationView, nullable: true, description: 'The mode and caps an escalate or raise_cap response gave the job' })
  escalation: EscalationView | null;
  @ApiProperty({ format: 'date-time' }) respondedAt: string;

  static of(r: HumanResponse): JobResponseView {
    return Object.assign(new JobResponseView(), {
      action: r.action,
      answer: r.answer ?? null,
      escalation: r.escalation ?? null,
      by: r.by,
      via: r.via ?? null,
      question: r.question ?? null,
      respondedAt: r.respondedAt,
    });
  }
}

export class JobUsageView {
  @ApiProperty() steps: number;
  @ApiProperty() tokens: number;
  @ApiProperty() costCents: number;
  @ApiProperty() wallMs: number;
}

export class JobErrorView {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
}

export class JobLinksView {
  @ApiProperty() self: string;
  @ApiProperty() stream: string;
  @ApiProperty() events: string;
  @ApiProperty() ledger: string;
  @ApiProperty() diff: string;
  @ApiProperty() truthpack: string;
}

/** A job started for another one (an evaluation), as its parent shows it. */
export class JobChildView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Its agent role (evaluator: the evaluation of the parent’s run)' }) role: string;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' }) status: JobStatus;
  @ApiProperty({ description: 'The run of the parent it belongs to' }) run: number;
  @ApiProperty({ type: JobUsageView }) usage: JobUsageView;
  @ApiProperty({ type: JobErrorView, nullable: true }) error: JobErrorView | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt: string | null;

  static of(job: Job): JobChildView {
    return Object.assign(new JobChildView(), {
      id: job.id,
      role: job.role,
      status: job.status,
      run: job.run,
      usage: { steps: job.usedSteps, tokens: job.usedTokens, costCents: job.usedCostCents, wallMs: job.usedWallMs },
      error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
    });
  }
}

/** Where a job delegated by an agent came from. */
export class JobDelegationView {
  @ApiProperty({ enum: ['agent:coordinator'], description: 'The agent that created the job' }) by: 'agent:coordinator';
  @ApiProperty({ format: 'uuid', description: 'The conversation it was delegated from' }) conversationId: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The message that asked for it' }) messageId: string | null;
  @ApiProperty({ description: 'Who sent that message (a ledger actor, e.g. token:aict_AbCdEfGh)' }) requestedBy: string;
}

/** A job as the API shows it. */
export class JobView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() goal: string;
  @ApiProperty() repo: string;
  @ApiProperty({ type: String, nullable: true }) baseRef: string | null;
  @ApiProperty({ enum: JOB_MODES, enumName: 'JobMode' }) mode: JobMode;
  @ApiProperty() role: string;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' }) status: JobStatus;
  @ApiProperty() priority: number;
  @ApiProperty() attempts: number;
  @ApiProperty() maxAttempts: number;
  @ApiProperty({ description: 'Which run this is: 1, then one more per retry (an evaluator job: the run it evaluates)' }) run: number;
  @ApiProperty({ type: JobCapsView }) caps: JobCapsView;
  @ApiProperty({ type: JobUsageView }) usage: JobUsageView;
  @ApiProperty({ type: String, nullable: true }) currentAction: string | null;
  @ApiProperty({
    type: IntentView,
    nullable: true,
    description: 'How the goal was understood (null for jobs the team starts itself without one)',
  })
  intent: IntentView | null;
  @ApiProperty({ type: String, nullable: true }) intentLogline: string | null;
  @ApiProperty({ type: PendingQuestionView, nullable: true, description: 'The question or approval a waiting job needs' })
  pendingQuestion: PendingQuestionView | null;
  @ApiProperty({ type: JobResponseView, nullable: true, description: 'The last response a person gave it (who, how, to what)' })
  lastResponse: JobResponseView | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) result: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true, description: 'The job branch (aict/<id>) once work was pushed' }) branch: string | null;
  @ApiProperty({ type: JobErrorView, nullable: true }) error: JobErrorView | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) conversationId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) parentJobId: string | null;
  @ApiProperty({ format: 'uuid' }) traceId: string;
  @ApiProperty() source: string;
  @ApiProperty({
    type: JobDelegationView,
    nullable: true,
    description: 'Set when the chat Coordinator handed the job to the team: from which conversation and message, for whom',
  })
  delegation: JobDelegationView | null;
  @ApiProperty({ description: 'True when the goal came from an untrusted channel (webhook)' }) untrusted: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({ type: JobLinksView }) links: JobLinksView;
  @ApiPropertyOptional({
    type: [JobChildView],
    description: 'Internal jobs started for this one (its evaluations), oldest first: on GET /api/jobs/{id} only, never in lists',
  })
  children?: JobChildView[];

  static of(job: Job): JobView {
    const base = `/api/jobs/${job.id}`;
    return Object.assign(new JobView(), {
      id: job.id,
      goal: job.goal,
      repo: job.repo,
      baseRef: job.baseRef,
      mode: job.mode,
      role: job.role,
      status: job.status,
      priority: job.priority,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      run: job.run,
      caps: { maxSteps: job.maxSteps, maxTokens: job.maxTokens, maxCostCents: job.maxCostCents, maxWallMs: job.maxWallMs },
      usage: { steps: job.usedSteps, tokens: job.usedTokens, costCents: job.usedCostCents, wallMs: job.usedWallMs },
      currentAction: job.currentAction,
      intent: job.intent as IntentView | null,
      intentLogline: job.intentLogline,
      pendingQuestion: job.pendingQuestion ? PendingQuestionView.of(job.pendingQuestion) : null,
      lastResponse: job.humanResponse ? JobResponseView.of(job.humanResponse) : null,
      result: job.result,
      branch: job.branch ?? null,
      error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
      conversationId: job.conversationId,
      parentJobId: job.parentJobId,
      traceId: job.traceId,
      source: job.source,
      delegation: job.delegation ?? null,
      untrusted: job.untrusted,
      createdAt: job.createdAt.toISOString(),
      updatedAt: job.updatedAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
      links: {
        self: base,
        stream: `${base}/stream`,
        events: `/api/events?jobId=${job.id}`,
        ledger: `${base}/ledger`,
        diff: `${base}/diff`,
        truthpack: `${base}/truthpack`,
      },
    });
  }
}

/** A page of jobs, newest first. */
export class JobPage {
  @ApiProperty({ type: [JobView] }) items: JobView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
