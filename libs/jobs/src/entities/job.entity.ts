import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { JobCaps, JobMode, numberTransformer } from '@app/common';
import { JobStatus } from '../job-status';

/** What a person may do about a waiting job. */
export const RESPOND_ACTIONS = ['approve', 'reject', 'answer', 'escalate', 'raise_cap'] as const;
export type RespondAction = (typeof RESPOND_ACTIONS)[number];

/**
 * A question a waiting job puts to a person: a `question` to answer, an `approval` to give or
 * refuse, or an `escalation` (a cap reached, or the Reviewer sending the Builder back a second
 * time) to settle by continuing in genius mode or raising the cap.
 */
export interface PendingQuestion {
  kind: 'question' | 'approval' | 'escalation';
  question: string;
  options?: string[];
  askedBy?: string;
  /** The actions it takes, when the kind alone does not say (an escalation lists the choices it offers). */
  actions?: RespondAction[];
  data?: Record<string, unknown>;
}

/** How a response reached the service, and what identified the person who gave it. */
export interface ResponseChannel {
  /** `api` (REST, CLI, dashboard) or `chat` (a message in the job's conversation). */
  channel: 'api' | 'chat';
  /** How the request was authenticated: a bearer token, a browser session cookie, or none (AUTH=off). */
  auth: 'bearer' | 'cookie' | 'none';
  /** The browser session the response came from, when it came through one. */
  sessionId?: string;
  /** The conversation (and message) of a chat response. */
  conversationId?: string;
  messageId?: string;
}

/** A person's answer to a waiting job: what they did, who they were, and which question it resolved. */
export interface HumanResponse {
  action: RespondAction;
  answer?: string;
  /** What an escalation changed: the mode and caps the job goes on with. */
  escalation?: { mode: JobMode; caps: JobCaps };
  respondedAt: string;
  /** The ledger actor of the person (`token:<prefix>`, or `user` with access control off). */
  by: string;
  via?: ResponseChannel;
  /** The question this response resolved. */
  question?: Pick<PendingQuestion, 'kind' | 'question' | 'askedBy'>;
}

/**
 * The actions that fit a pending question: an approval is approved or rejected (an answer is not
 * an approval); a question is answered, or rejected to stop the job; an escalation takes the
 * choices it offers (`escalate` to genius mode, `raise_cap`) or `reject`.
 */
export function actionsFor(question: Pick<PendingQuestion, 'kind' | 'actions'> | null | undefined): RespondAction[] {
  if (question?.kind === 'approval') return ['approve', 'reject'];
  if (question?.kind === 'escalation') return question.actions?.length ? question.actions : ['escalate', 'raise_cap', 'reject'];
  return ['answer', 'reject'];
}

/** Where a job the chat Coordinator handed to the team came from. */
export interface JobDelegation {
  /** The agent that created it. */
  by: 'agent:coordinator';
  conversationId: string;
  /** The person's message that led to it. */
  messageId: string | null;
  /** The ledger actor of that message's sender. */
  requestedBy: string;
}

/** One job: what to do, where, under which caps, and how far it got. */
@Entity('jobs')
export class Job {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) goal: string;
  @Column({ type: 'text' }) repo: string;
  @Column({ name: 'base_ref', type: 'text', nullable: true }) baseRef: string | null;
  @Column({ type: 'text' }) mode: JobMode;
  @Column({ name: 'agent_role', type: 'text' }) role: string;
  @Column({ name: 'parent_job_id', type: 'uuid', nullable: true }) parentJobId: string | null;
  @Column({ name: 'trace_id', type: 'uuid' }) traceId: string;
  @Column({ name: 'conversation_id', type: 'uuid', nullable: true }) conversationId: string | null;
  @Column({ type: 'text' }) source: string;
  /** Set when the chat Coordinator delegated the job (its provenance). */
  @Column({ type: 'jsonb', nullable: true }) delegation: JobDelegation | null;
  @Column({ type: 'boolean' }) untrusted: boolean;
  @Column({ type: 'text' }) status: JobStatus;
  @Column({ type: 'int' }) priority: number;
  @Column({ type: 'int' }) attempts: number;
  /** Which run this is: 1, then one more per retry (an evaluator job: the run of the job it evaluates). */
  @Column({ type: 'int' }) run: number;
  @Column({ name: 'max_attempts', type: 'int' }) maxAttempts: number;
  @Column({ name: 'run_after', type: 'timestamptz' }) runAfter: Date;
  @Column({ name: 'max_steps', type: 'int' }) maxSteps: number;
  @Column({ name: 'max_tokens', type: 'bigint', transformer: numberTransformer }) maxTokens: number;
  @Column({ name: 'max_cost_cents', type: 'numeric', transformer: numberTransformer }) maxCostCents: number;
  @Column({ name: 'max_wall_ms', type: 'bigint', transformer: numberTransformer }) maxWallMs: number;
  @Column({ name: 'used_steps', type: 'int' }) usedSteps: number;
  @Column({ name: 'used_tokens', type: 'bigint', transformer: numberTransformer }) usedTokens: number;
  @Column({ name: 'used_cost_cents', type: 'numeric', transformer: numberTransformer }) usedCostCents: number;
  @Column({ name: 'used_wall_ms', type: 'bigint', transformer: numberTransformer }) usedWallMs: number;
  @Column({ name: 'reserved_tokens', type: 'bigint', transformer: numberTransformer }) reservedTokens: number;
  @Column({ name: 'reserved_cost_cents', type: 'numeric', transformer: numberTransformer }) reservedCostCents: number;
  @Column({ name: 'current_action', type: 'text', nullable: true }) currentAction: string | null;
  @Column({ name: 'worker_id', type: 'text', nullable: true }) workerId: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt: Date | null;
  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true }) heartbeatAt: Date | null;
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true }) cancelRequestedAt: Date | null;
  @Column({ type: 'jsonb', nullable: true }) intent: Record<string, unknown> | null;
  @Column({ name: 'intent_logline', type: 'text', nullable: true }) intentLogline: string | null;
  @Column({ name: 'pending_question', type: 'jsonb', nullable: true }) pendingQuestion: PendingQuestion | null;
  @Column({ name: 'human_response', type: 'jsonb', nullable: true }) humanResponse: HumanResponse | null;
  /**
   * Where a run left off (transcript, workspace diff): large, so only the claim hands it to the
   * worker; lists, details and stream snapshots never load it.
   */
  @Column({ type: 'jsonb', nullable: true, select: false }) checkpoint: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) result: Record<string, unknown> | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage: string | null;
  /** The job's cumulative patch; large, so only loaded on request. */
  @Column({ type: 'text', nullable: true, select: false }) patch: string | null;
  @Column({ type: 'text', nullable: true }) branch: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}
