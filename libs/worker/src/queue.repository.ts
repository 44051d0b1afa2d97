import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ASYNC_COMMIT, AdvisoryLock, AppConfig, JobMode, returnedRows } from '@app/common';
import { Job, JobStatus, JobTransitions, PendingQuestion, TransitionRecord, isTerminal, jobFromRow } from '@app/jobs';
import { JobLifecycleHooks } from './job-lifecycle.hooks';

/** The end of one run, as the worker hands it to the database. */
export interface RunEnd {
  jobId: string;
  to: Extract<JobStatus, 'succeeded' | 'failed' | 'waiting_human' | 'aborted' | 'queued'>;
  reason: string;
  wallMs: number;
  result?: Record<string, unknown> | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  pendingQuestion?: PendingQuestion | null;
  checkpoint?: Record<string, unknown> | null;
}

/** What the reaper did. */
export interface ReapReport {
  requeued: number;
  failed: number;
  aborted: number;
}

/** The queue's SQL: claim, heartbeat, finish, release and reap, each with its ledger entries. */
@Injectable()
export class QueueRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transitions: JobTransitions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hooks: JobLifecycleHooks,
  ) {}

  /**
   * Claims up to `limit` jobs in one statement: the oldest highest-priority queued jobs of the
   * given modes whose run-after has passed, skipping rows other workers hold.
   */
  claim(workerId: string, modes: JobMode[], limit: number): Promise<Job[]> {
    return this.dataSource.transaction(async (manager) => {
      const rows = returnedRows<Record<string, unknown>>(
        await manager.query(
          `WITH picked AS (
           SELECT id FROM jobs
            WHERE status = 'queued' AND mode = ANY($1::text[]) AND run_after <= now()
            ORDER BY priority DESC, created_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
         )
         UPDATE jobs j
            SET status = 'running', worker_id = $3, lease_expires_at = now() + $4 * interval '1 millisecond',
                heartbeat_at = now(), started_at = coalesce(j.started_at, now()), updated_at = now()
           FROM picked
          WHERE j.id = picked.id
         RETURNING j.*`,
          [modes, limit, workerId, this.config.worker.leaseMs],
        ),
      );
      const jobs = rows.map((row) => jobFromRow(this.dataSource, row));
      await this.transitions.record(
        manager,
        jobs.map((job) => ({
          job,
          from: 'queued' as const,
          to: 'running' as const,
          actor: 'worker' as const,
          reason: 'claimed',
          data: { workerId, attempt: job.attempts + 1 },
        })),
        { relaxed: true },
      );
      return jobs;
    });
  }

  /** Extends the leases this worker holds; returns each still-held job's status (absent = lease lost). */
  async heartbeat(workerId: string, jobIds: string[]): Promise<Map<string, JobStatus>> {
    if (jobIds.length === 0) return new Map();
    // Rows are locked in id order, as finish() locks them: in scan order, a heartbeat and a
    // finish of the same jobs deadlocked (a second of stall each time, under load).
    const rows = returnedRows<{ id: string; status: JobStatus }>(
      await this.dataSource.query(
        `UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 millisecond', heartbeat_at = now()
        WHERE id IN (SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status IN ('running', 'cancelling')
                      ORDER BY id FOR NO KEY UPDATE)
       RETURNING id, status`,
        [jobIds, workerId, this.config.worker.leaseMs],
      ),
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /** Records that this worker is alive (for the metrics' live-worker count). */
  async announce(
    workerId: string,
    modes: JobMode[],
    concurrency: number,
    running: number,
    facts: Record<string, unknown> = {},
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO workers (id, modes, concurrency, running, facts) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (id) DO UPDATE SET last_seen = now(), running = EXCLUDED.running, facts = EXCLUDED.facts`,
      [workerId, modes, concurrency, running, JSON.stringify(facts)],
    );
  }

  /** The workers seen within `withinMs`, with what they said of themselves (their sandbox, ...). */
  async liveWorkers(withinMs: number): Promise<{ id: string; modes: string[]; running: number; facts: Record<string, unknown> }[]> {
    return this.dataSource.query(
      `SELECT id, modes, running, facts FROM workers WHERE last_seen > now() - $1 * interval '1 millisecond' ORDER BY id`,
      [withinMs],
    );
  }

  /** Removes this worker from the live list when it stops. */
  async retire(workerId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM workers WHERE id = $1', [workerId]);
  }

  /** Stores a checkpoint if this worker still holds the job; false means the lease is lost. */
  async checkpoint(workerId: string, jobId: string, state: Record<string, unknown>): Promise<boolean> {
    const [, count] = await this.dataSource.query(
      `UPDATE jobs SET checkpoint = $3::jsonb, updated_at = now() FROM ${ASYNC_COMMIT} WHERE id = $1 AND worker_id = $2 AND status IN ('running', 'cancelling')`,
      [jobId, workerId, JSON.stringify(state)],
    );
    return count > 0;
  }

  async setCurrentAction(workerId: string, jobId: string, action: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE jobs SET current_action = $3, updated_at = now() FROM ${ASYNC_COMMIT} WHERE id = $1 AND worker_id = $2`,
      [jobId, workerId, action],
    );
  }

  /**
   * Ends several runs in one transaction. Only jobs this worker still holds are touched; a job
   * that was asked to cancel ends aborted whatever the run's own outcome.
   */
  finish(workerId: string, ends: RunEnd[]): Promise<string[]> {
    if (ends.length === 0) return Promise.resolve([]);
    return this.dataSource.transaction(async (manager) => {
      const held: Record<string, unknown>[] = await manager.query(
        `SELECT * FROM jobs WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status IN ('running', 'cancelling') ORDER BY id FOR UPDATE`,
        [ends.map((e) => e.jobId), workerId],
      );
      const byId = new Map(ends.map((e) => [e.jobId, e]));
      const changes: TransitionRecord[] = [];
      const rows = held.map((row) => {
        const job = jobFromRow(this.dataSource, row);
        let end = byId.get(job.id)!;
        if (job.status === 'cancelling' && end.to !== 'aborted') {
          end = {
            ...end,
            to: 'aborted',
            reason: 'cancelled',
            errorCode: 'cancelled',
            errorMessage: 'Cancelled while running',
            pendingQuestion: null,
          };
        } else if (job.status === 'running' && end.to === 'aborted') {
          end = { ...end, to: 'failed', errorCode: end.errorCode ?? 'aborted', errorMessage: end.errorMessage ?? end.reason };
        }
        changes.push({
          job,
          from: job.status,
          to: end.to,
          actor: 'worker',
          reason: end.reason,
          data: {
            workerId,
            ...(end.errorCode ? { errorCode: end.errorCode } : {}),
            ...(end.pendingQuestion ? { question: end.pendingQuestion } : {}),
          },
        });
        return {
          id: job.id,
          status: end.to,
          terminal: isTerminal(end.to),
          result: end.result ?? null,
          error_code: end.errorCode ?? null,
          error_message: end.errorMessage ?? null,
          pending: end.pendingQuestion ?? null,
          checkpoint: end.checkpoint ?? null,
          wall_ms: Math.max(0, Math.round(end.wallMs)),
        };
      });
      if (rows.length === 0) return [];
      await manager.query(
        `UPDATE jobs j
            SET status = x.status, worker_id = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                result = coalesce(x.result, j.result), error_code = x.error_code, error_message = x.error_message,
                pending_question = x.pending, checkpoint = coalesce(x.checkpoint, j.checkpoint),
                run_after = CASE WHEN x.status = 'queued' THEN now() ELSE j.run_after END,
                finished_at = CASE WHEN x.terminal THEN now() ELSE NULL END,
                current_action = CASE WHEN x.terminal THEN NULL ELSE j.current_action END,
                used_wall_ms = j.used_wall_ms + x.wall_ms, updated_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, terminal boolean, result jsonb, error_code text,
                                                   error_message text, pending jsonb, checkpoint jsonb, wall_ms bigint)
          WHERE j.id = x.id AND j.id = ANY($2::uuid[])`,
        [JSON.stringify(rows), rows.map((r) => r.id)],
      );
      await this.transitions.record(manager, changes);
      await this.hooks.runsEndedIn(
        manager,
        changes.filter((c) => isTerminal(c.to)).map((c) => ({ job: c.job as Job, to: c.to })),
      );
      return rows.map((r) => r.id);
    });
  }

  /**
   * Requeues jobs whose lease expired (a crashed or stalled worker) with attempts + 1 and an
   * exponential backoff, fails them at max attempts, and ends cancelling ones aborted. One reaper
   * at a time: the others find the advisory lock taken and do nothing. The lost run's budget
   * reservations are given back (the ledger entry says how much).
   */
  reap(): Promise<ReapReport | null> {
    return this.dataSource.transaction(async (manager) => {
      const [{ got }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS got', [AdvisoryLock.Reaper]);
      if (!got) return null;
      const expired: Record<string, unknown>[] = await manager.query(
        // After PostgreSQL restarts every lease has expired meanwhile: the workers get one lease
        // period to reconnect and heartbeat (or write the ends they hold) before anything is reaped,
        // so work already done is not done again.
        `SELECT * FROM jobs WHERE status IN ('running', 'cancelling') AND lease_expires_at < now()
            AND pg_postmaster_start_time() < now() - $1 * interval '1 millisecond'
          ORDER BY lease_expires_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
        [this.config.worker.leaseMs],
      );
      const report: ReapReport = { requeued: 0, failed: 0, aborted: 0 };
      const changes: TransitionRecord[] = [];
      const rows = expired.map((row) => {
        const job = jobFromRow(this.dataSource, row);
        const attempts = job.attempts + 1;
        let to: JobStatus;
        let errorCode: string | null = null;
        let delayMs = 0;
        if (job.status === 'cancelling') {
          to = 'aborted';
          errorCode = 'cancelled';
          report.aborted++;
        } else if (attempts >= job.maxAttempts) {
          to = 'failed';
          errorCode = 'attempts_exhausted';
          report.failed++;
        } else {
          to = 'queued';
          delayMs = Math.min(this.config.worker.backoffMaxMs, this.config.worker.backoffBaseMs * 2 ** (attempts - 1));
          report.requeued++;
        }
        changes.push({
          job,
          from: job.status,
          to,
          actor: 'system',
          reason: 'lease expired',
          data: {
            previousWorker: job.workerId,
            attempts,
            ...(errorCode ? { errorCode } : { retryInMs: delayMs }),
            // What the lost run had reserved for calls whose answers never came back: given back, on the record.
            ...(job.reservedTokens > 0 || job.reservedCostCents > 0
              ? { releasedReservation: { tokens: job.reservedTokens, costCents: job.reservedCostCents } }
              : {}),
          },
        });
        return { id: job.id, status: to, attempts, error_code: errorCode, delay_ms: delayMs, terminal: isTerminal(to) };
      });
      if (rows.length === 0) return report;
      await manager.query(
        `UPDATE jobs j
            SET status = x.status, attempts = x.attempts, worker_id = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                reserved_tokens = 0, reserved_cost_cents = 0,
                run_after = now() + x.delay_ms * interval '1 millisecond',
                error_code = x.error_code,
                error_message = CASE x.error_code WHEN 'attempts_exhausted' THEN 'The job lost its worker ' || x.attempts || ' times'
                                                  WHEN 'cancelled' THEN 'Cancelled while running' ELSE NULL END,
                finished_at = CASE WHEN x.terminal THEN now() ELSE NULL END, updated_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, attempts int, error_code text, delay_ms bigint, terminal boolean)
          WHERE j.id = x.id AND j.id = ANY($2::uuid[])`,
        [JSON.stringify(rows), rows.map((r) => r.id)],
      );
      await this.transitions.record(manager, changes);
      await this.hooks.runsEndedIn(
        manager,
        changes.filter((c) => isTerminal(c.to)).map((c) => ({ job: c.job as Job, to: c.to })),
      );
      return report;
    });
  }
}
