import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Logger } from 'pino';
import {
  APP_CONFIG,
  AppConfig,
  LOGGER,
  NotificationListener,
  isDatabaseUnavailable,
  isDiskFull,
  jobRunSeconds,
  jobRunsEnded,
} from '@app/common';
import { EventsService } from '@app/events';
import { CANCEL_CHANNEL, JOBS_CHANNEL, Job } from '@app/jobs';
import { AbortReason, JobContext, JobOutcome } from './job-handler';
import { JobHandlerRegistry } from './job-handler.registry';
import { QueueRepository, RunEnd } from './queue.repository';

interface Run {
  job: Job;
  controller: AbortController;
  reason?: AbortReason;
  startedAt: number;
  done: Promise<void>;
}

/** A job claimed ahead of a free slot: held under the lease until a slot frees up. */
interface Claimed {
  job: Job;
  claimedAt: number;
}

const FLUSH_RETRY_MS = 500;

/**
 * The queue worker of this process: claims jobs (woken by NOTIFY, with a scheduled poll for
 * missed notifications), runs them on the handler of their agent role under a heartbeated lease,
 * and ends them. Like graphile-worker's local queue, it claims up to WORKER_LOCAL_QUEUE_SIZE jobs
 * ahead of its free slots and starts them as slots free up, without a round trip to the database;
 * one not started within WORKER_LOCAL_QUEUE_TTL_MS goes back to the queue. On shutdown it stops
 * claiming, hands claimed-ahead jobs back at once, lets running jobs finish within the drain
 * timeout, and hands the rest back to the queue without an attempt penalty.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly runs = new Map<string, Run>();
  /** Claimed-ahead jobs in claim order, under the lease, not started yet. */
  private readonly local = new Map<string, Claimed>();
  /** Ended runs waiting to be written; their leases are still heartbeated. */
  private readonly pendingEnds = new Map<string, RunEnd>();
  /** What this worker says of itself when it announces (its sandbox, ...). */
  private readonly facts: Record<string, unknown> = {};
  private flushing: Promise<void> | null = null;
  private pumping = false;
  private pumpAgain = false;
  private started = false;
  private stopping = false;
  private readonly logger: Logger;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly queue: QueueRepository,
    private readonly handlers: JobHandlerRegistry,
    private readonly events: EventsService,
    private readonly notifications: NotificationListener,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.logger = logger.child({ component: 'worker', workerId: this.workerId });
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.start();
  }

  /** Starts claiming; idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { pollIntervalMs, heartbeatMs, reaperIntervalMs, concurrency, modes } = this.config.worker;
    this.notifications.on(JOBS_CHANNEL, (mode) => {
      if ((modes as string[]).includes(mode)) void this.pump();
    });
    this.notifications.on(CANCEL_CHANNEL, (jobId) => this.abort(jobId, 'cancelled'));
    this.notifications.onReconnect(() => void this.pump());
    this.scheduler.addInterval(
      `worker-poll-${this.workerId}`,
      setInterval(() => void this.pump(), pollIntervalMs),
    );
    this.scheduler.addInterval(
      `worker-heartbeat-${this.workerId}`,
      setInterval(() => void this.heartbeat(), heartbeatMs),
    );
    this.scheduler.addInterval(
      `worker-reaper-${this.workerId}`,
      setInterval(() => void this.reap(), reaperIntervalMs),
    );
    void this.queue.announce(this.workerId, modes, concurrency, 0, this.facts).catch(() => undefined);
    this.logger.info({ concurrency, modes, roles: this.handlers.roles() }, 'worker started');
    void this.pump();
  }

  /** Adds a fact this worker reports with every announcement (read by health and metrics), at once. */
  describe(key: string, value: unknown): void {
    this.facts[key] = value;
    if (this.started)
      void this.queue
        .announce(this.workerId, this.config.worker.modes, this.config.worker.concurrency, this.runs.size, this.facts)
        .catch(() => undefined);
  }

  /** Jobs running in this process now. */
  get activeJobIds(): string[] {
    return [...this.runs.keys()];
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Stops claiming, drains, and releases what did not finish in time. */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const name of this.scheduler.getIntervals().filter((n) => n.endsWith(this.workerId))) this.scheduler.deleteInterval(name);
    // Claimed-ahead jobs go back first, so other workers can take them while these runs drain.
    this.release([...this.local.keys()], 'worker shut down');
    const drained = await this.waitForRuns(this.config.worker.drainTimeoutMs);
    if (!drained) {
      this.logger.warn({ jobs: this.activeJobIds }, 'drain timeout: releasing unfinished jobs to the queue');
      for (const id of this.runs.keys()) this.abort(id, 'shutdown');
      await this.waitForRuns(Math.min(2_000, this.config.worker.leaseMs));
      for (const run of this.runs.values())
        this.pendingEnds.set(run.job.id, {
          jobId: run.job.id,
          to: 'queued',
          reason: 'worker shut down',
          wallMs: Date.now() - run.startedAt,
        });
    }
    await this.flush();
    await this.queue.retire(this.workerId).catch(() => undefined);
    this.logger.info('worker stopped');
  }

  /** Jobs claimed ahead and waiting in this process for a free slot. */
  get claimedAheadJobIds(): string[] {
    return [...this.local.keys()];
  }

  /**
   * Starts claimed-ahead jobs in the free slots, then, while a slot is free, claims enough for the
   * free slots and to refill the local queue, repeatedly while batches come back full. A worker
   * whose slots are all busy claims nothing: it would only hold jobs another worker could run.
   */
  async pump(): Promise<void> {
    this.startClaimed();
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (!this.stopping) {
          const free = this.config.worker.concurrency - this.runs.size - this.local.size;
          if (free <= 0) break;
          const want = Math.min(free, this.config.worker.claimBatchSize) + this.config.worker.localQueueSize;
          const jobs = await this.queue.claim(this.workerId, this.config.worker.modes, want);
          const now = Date.now();
          for (const job of jobs) this.local.set(job.id, { job, claimedAt: now });
          this.startClaimed();
          if (jobs.length < want) break;
        }
      } while (this.pumpAgain && !this.stopping);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'claiming failed; the poll will try again');
    } finally {
      this.pumping = false;
    }
  }

  /** Moves claimed-ahead jobs into free slots, oldest claim first. */
  private startClaimed(): void {
    for (const [id, { job }] of this.local) {
      if (this.runs.size >= this.config.worker.concurrency || this.stopping) return;
      this.local.delete(id);
      this.run(job);
    }
  }

  /** Hands claimed-ahead jobs back to the queue without an attempt penalty. */
  private release(jobIds: string[], reason: string): void {
    for (const id of jobIds) {
      if (!this.local.delete(id)) continue;
      this.pendingEnds.set(id, { jobId: id, to: 'queued', reason, wallMs: 0 });
    }
    if (jobIds.length > 0) void this.flush();
  }

  private run(job: Job): void {
    const controller = new AbortController();
    const run: Run = { job, controller, startedAt: Date.now(), done: Promise.resolve() };
    this.runs.set(job.id, run);
    run.done = this.execute(run).then((end) => {
      this.runs.delete(job.id);
      if (end) {
        jobRunsEnded.inc({ mode: job.mode, status: end.to });
        jobRunSeconds.observe({ mode: job.mode, status: end.to }, end.wallMs / 1000);
        this.pendingEnds.set(job.id, end);
        void this.flush();
      }
      if (!this.stopping) void this.pump();
    });
  }

  private async execute(run: Run): Promise<RunEnd | null> {
    const { job } = run;
    const handler = this.handlers.get(job.role);
    const wallMs = () => Date.now() - run.startedAt;
    if (!handler) {
      return {
        jobId: job.id,
        to: 'failed',
        reason: 'no handler',
        errorCode: 'no_handler',
        errorMessage: `No handler is registered for agent role "${job.role}"`,
        wallMs: 0,
      };
    }
    let outcome: JobOutcome;
    try {
      outcome = await handler.handle(this.contextFor(run));
    } catch (error) {
      if (run.reason === 'lease_lost') return null;
      if (run.reason === 'shutdown') return { jobId: job.id, to: 'queued', reason: 'worker shut down', wallMs: wallMs() };
      if (isDatabaseUnavailable(error)) {
        // Not the job's fault: back to the queue without an attempt penalty, written once the database is back.
        this.logger.warn({ jobId: job.id, err: (error as Error).message }, 'the database went away during the run; requeueing the job');
        return { jobId: job.id, to: 'queued', reason: 'database unavailable', wallMs: wallMs() };
      }
      if (isDiskFull(error)) {
        return {
          jobId: job.id,
          to: 'failed',
          reason: 'disk full',
          errorCode: 'disk_full',
          errorMessage: `The disk is full: ${(error as Error).message}`,
          wallMs: wallMs(),
        };
      }
      this.logger.error({ jobId: job.id, err: error }, 'handler threw');
      return {
        jobId: job.id,
        to: 'failed',
        reason: 'handler error',
        errorCode: 'handler_error',
        errorMessage: (error as Error).message ?? String(error),
        wallMs: wallMs(),
      };
    }
    if (run.reason === 'lease_lost') return null;
    switch (outcome.status) {
      case 'succeeded':
        return { jobId: job.id, to: 'succeeded', reason: 'done', result: outcome.result ?? null, wallMs: wallMs() };
      case 'failed':
        return {
          jobId: job.id,
          to: 'failed',
          reason: outcome.code,
          result: outcome.result ?? null,
          errorCode: outcome.code,
          errorMessage: outcome.message,
          wallMs: wallMs(),
        };
      case 'waiting_human':
        return {
          jobId: job.id,
          to: 'waiting_human',
          reason: 'needs a person',
          pendingQuestion: outcome.question,
          checkpoint: outcome.checkpoint ?? null,
          wallMs: wallMs(),
        };
      case 'aborted':
        return {
          jobId: job.id,
          to: 'aborted',
          reason: outcome.reason ?? 'cancelled',
          errorCode: 'cancelled',
          errorMessage: 'Cancelled while running',
          wallMs: wallMs(),
        };
      case 'release':
        return { jobId: job.id, to: 'queued', reason: outcome.reason ?? 'released', wallMs: wallMs() };
    }
  }

  private contextFor(run: Run): JobContext {
    const { job } = run;
    return {
      job,
      workerId: this.workerId,
      signal: run.controller.signal,
      abortReason: () => run.reason,
      emit: (drafts) =>
        this.events.recordNow(
          drafts.map((d) => ({
            ...d,
            data: { ...d.data, workerId: this.workerId },
            role: d.role ?? job.role,
            jobId: job.id,
            traceId: job.traceId,
            conversationId: job.conversationId,
          })),
          { relaxed: true },
        ),
      setCurrentAction: (action) => this.queue.setCurrentAction(this.workerId, job.id, action),
      checkpoint: async (state) => {
        if (!(await this.queue.checkpoint(this.workerId, job.id, state))) this.abort(job.id, 'lease_lost');
      },
    };
  }

  private abort(jobId: string, reason: AbortReason): void {
    if (this.local.has(jobId)) {
      this.local.delete(jobId);
      if (reason === 'cancelled') {
        this.pendingEnds.set(jobId, {
          jobId,
          to: 'aborted',
          reason: 'cancelled',
          errorCode: 'cancelled',
          errorMessage: 'Cancelled before it started',
          wallMs: 0,
        });
        void this.flush();
      } else if (reason === 'shutdown') {
        this.pendingEnds.set(jobId, { jobId, to: 'queued', reason: 'worker shut down', wallMs: 0 });
        void this.flush();
      }
      return;
    }
    const run = this.runs.get(jobId);
    if (!run || run.controller.signal.aborted) return;
    run.reason = reason;
    run.controller.abort(new Error(reason));
  }

  private async heartbeat(): Promise<void> {
    await this.queue
      .announce(this.workerId, this.config.worker.modes, this.config.worker.concurrency, this.runs.size, this.facts)
      .catch(() => undefined);
    const stale = Date.now() - this.config.worker.localQueueTtlMs;
    this.release(
      [...this.local.values()].filter((c) => c.claimedAt <= stale).map((c) => c.job.id),
      'not started in time',
    );
    const ids = [...this.runs.keys(), ...this.local.keys(), ...this.pendingEnds.keys()];
    if (ids.length === 0) return;
    try {
      const held = await this.queue.heartbeat(this.workerId, ids);
      // Only the runs this heartbeat asked about: a job claimed while it was in flight is not lost.
      for (const id of ids) {
        if (!this.runs.has(id) && !this.local.has(id)) continue;
        const status = held.get(id);
        if (status === undefined) this.abort(id, 'lease_lost');
        else if (status === 'cancelling') this.abort(id, 'cancelled');
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'heartbeat failed');
    }
  }

  private async reap(): Promise<void> {
    try {
      const report = await this.queue.reap();
      if (report && report.requeued + report.failed + report.aborted > 0) {
        this.logger.info(report, 'reaped jobs with expired leases');
        if (report.requeued > 0) void this.pump();
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'reaping failed');
    }
  }

  /** Writes ended runs in batches; on a database error keeps them and tries again. */
  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      let failures = 0;
      while (this.pendingEnds.size > 0) {
        const batch = [...this.pendingEnds.values()];
        try {
          await this.queue.finish(this.workerId, batch);
          failures = 0;
          for (const end of batch) if (this.pendingEnds.get(end.jobId) === end) this.pendingEnds.delete(end.jobId);
        } catch (error) {
          this.logger.warn({ err: (error as Error).message, jobs: batch.length }, 'ending runs failed; retrying');
          // While stopping, do not hold the process forever: the leases expire and the reaper requeues the jobs.
          if (this.stopping && ++failures >= 5) {
            this.logger.error({ jobs: batch.map((e) => e.jobId) }, 'giving up ending runs at shutdown; the reaper will requeue them');
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, FLUSH_RETRY_MS));
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async waitForRuns(timeoutMs: number): Promise<boolean> {
    const all = Promise.all([...this.runs.values()].map((r) => r.done)).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return this.runs.size === 0 ? true : Promise.race([all, timeout]);
  }
}
