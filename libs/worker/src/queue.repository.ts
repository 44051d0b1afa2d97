import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ASYNC_COMMIT, AdvisoryLock, AppConfig, JobMode, returnedRows } from '@app/common';
import { Job, JobStatus, JobTransitions, PendingQuestion, TransitionRecord, isTerminal, jobColumns, jobFromRow } from '@app/jobs';
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
   * Ends several runs in one transaction, with one statement for the rows: it locks the jobs this
   * worker still holds and writes each one's end as decided for the status it finds (a job that
   * was asked to cancel ends aborted whatever the run's own outcome), then records the changes.
   */
  finish(workerId: string, ends: RunEnd[]): Promise<string[]> {
    if (ends.length === 0) return Promise.resolve([]);
    const byId = new Map(ends.map((e) => [e.jobId, e]));
    return this.dataSource.transaction(async (manager) => {
      const rows = returnedRows<Record<string, unknown> & { was: 'running' | 'cancelling' }>(
        await manager.query(
          `WITH held AS (
             SELECT id, status FROM jobs WHERE id = ANY($2::uuid[]) AND worker_id = $3 AND status IN ('running', 'cancelling')
              ORDER BY id FOR UPDATE
           ), x AS (
             SELECT held.id, held.status AS was, CASE held.status WHEN 'cancelling' THEN e.on_cancelling ELSE e.on_running END AS o
               FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, on_running jsonb, on_cancelling jsonb) JOIN held ON held.id = e.id
           )
           UPDATE jobs j
              SET status = x.o->>'status', worker_id = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                  result = coalesce(nullif(x.o->'result', 'null'), j.result), error_code = x.o->>'error_code',
                  error_message = x.o->>'error_message', pending_question = nullif(x.o->'pending', 'null'),
                  checkpoint = coalesce(nullif(x.o->'checkpoint', 'null'), j.checkpoint),
                  run_after = CASE WHEN x.o->>'status' = 'queued' THEN now() ELSE j.run_after END,
                  finished_at = CASE WHEN (x.o->>'terminal')::boolean THEN now() ELSE NULL END,
                  current_action = CASE WHEN (x.o->>'terminal')::boolean THEN NULL ELSE j.current_action END,
                  used_wall_ms = j.used_wall_ms + (x.o->>'wall_ms')::bigint, updated_at = now()
             FROM x
            WHERE j.id = x.id
           RETURNING x.was, ${jobColumns(this.dataSource, 'j')}`,
          [
            JSON.stringify(
              ends.map((e) => ({ id: e.jobId, on_running: endRow(endFor('running', e)), on_cancelling: endRow(endFor('cancelling', e)) })),
            ),
            ends.map((e) => e.jobId),
            workerId,
          ],
        ),
      );
      if (rows.length === 0) return [];
      const changes: TransitionRecord[] = rows
        .map((row) => {
          const job = jobFromRow(this.dataSource, row);
          const end = endFor(row.was, byId.get(job.id)!);
          return {
            job,
            from: row.was,
            to: end.to,
            actor: 'worker' as const,
            reason: end.reason,
            data: {
              workerId,
              ...(end.errorCode ? { errorCode: end.errorCode } : {}),
              ...(end.pendingQuestion ? { question: end.pendingQuestion } : {}),
            },
          };
        })
        .sort((a, b) => (a.job.id < b.job.id ? -1 : 1));
      await this.transitions.record(manager, changes);
      await this.hooks.runsEndedIn(
        manager,
        changes.filter((c) => isTerminal(c.to)).map((c) => ({ job: c.job as Job, to: c.to })),
      );
      return changes.map((c) => c.job.id);
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

/** The end a run gets given the status its job has when it is written. */
function endFor(was: 'running' | 'cancelling', end: RunEnd): RunEnd {
  if (was === 'cancelling' && end.to !== 'aborted') {
    return {
      ...end,
      to: 'aborted',
      reason: 'cancelled',
      errorCode: 'cancelled',
      errorMessage: 'Cancelled while running',
      pendingQuestion: null,
    };
  }
  if (was === 'running' && end.to === 'aborted') {
    return { ...end, to: 'failed', errorCode: end.errorCode ?? 'aborted', errorMessage: end.errorMessage ?? end.reason };
  }
  return end;
}

/** A run's end as the finishing statement reads it. */
function endRow(end: RunEnd) {
  return {
    status: end.to,
    terminal: isTerminal(end.to),
    result: end.result ?? null,
    error_code: end.errorCode ?? null,
    error_message: end.errorMessage ?? null,
    pending: end.pendingQuestion ?? null,
    checkpoint: end.checkpoint ?? null,
    wall_ms: Math.max(0, Math.round(end.wallMs)),
  };
}
