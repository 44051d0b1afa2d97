import { EventDraft, EventRecord } from '@app/events';
import { Job, PendingQuestion } from '@app/jobs';

/** Why a running job's signal was aborted. */
export type AbortReason = 'cancelled' | 'lease_lost' | 'shutdown';

/** What a handler gets for one run of one job. */
export interface JobContext {
  /** The job as claimed (status running). */
  readonly job: Job;
  readonly workerId: string;
  /** Aborted when the job is cancelled, its lease is lost, or the worker shuts down. */
  readonly signal: AbortSignal;
  /** Why `signal` was aborted, once it is. */
  abortReason(): AbortReason | undefined;
  /** Records events for this job (job, trace and conversation ids are filled in); they commit without waiting for the WAL flush (ASYNC_COMMIT). */
  emit(drafts: Omit<EventDraft, 'jobId' | 'traceId' | 'conversationId'>[]): Promise<EventRecord[]>;
  /** Shows what the job is doing now on the job and the dashboard. */
  setCurrentAction(action: string | null): Promise<void>;
  /** Stores resumable state; a job that another worker picks up starts from the last checkpoint. */
  checkpoint(state: Record<string, unknown>): Promise<void>;
}

/** How a run ended. */
export type JobOutcome =
  | { status: 'succeeded'; result?: Record<string, unknown> }
  | { status: 'failed'; code: string; message: string; result?: Record<string, unknown> }
  | { status: 'waiting_human'; question: PendingQuestion; checkpoint?: Record<string, unknown> }
  | { status: 'aborted'; reason?: string }
  /** Hand the job back to the queue without an attempt penalty (shutdown; an escalation to genius mode, `reason` says). */
  | { status: 'release'; reason?: string };

/** Does the work of jobs addressed to one agent role. */
export interface JobHandler {
  handle(context: JobContext): Promise<JobOutcome>;
}
