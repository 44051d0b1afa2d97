import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig, prometheus } from '@app/common';
import { EventsService } from '@app/events';
import { JobStatsService } from '@app/jobs';

/** The numbers of `GET /api/metrics`. */
export interface Metrics {
  since: string;
  jobs: { total: number; byStatus: Record<string, number>; byMode: Record<string, number> };
  successRate: number | null;
  durationMs: { p50: number | null; p95: number | null };
  /** `total` is the jobs' and the chat's; `perJob` and `perSucceededJob` are the jobs' alone; `chat` the chat Coordinator's own calls. */
  tokens: { total: number; perJob: number | null; perSucceededJob: number | null; chat: number };
  costCents: { total: number; perJob: number | null; perSucceededJob: number | null; chat: number };
  /** Model calls the chat Coordinator made for conversations (not charged to a job), in the window. */
  chat: { modelCalls: number; tokens: number; costCents: number };
  queue: { depth: number; oldestQueuedAgeMs: number | null };
  /** Live workers, and how many of them can run tests in their sandbox. */
  workers: { alive: number; sandbox: { ok: number; disabled: number; unavailable: number } };
  /** Share of the window's jobs that escalated (continued in genius mode, asked about a cap or a second send-back, given a higher cap). */
  escalationRate: number | null;
  evaluations: {
    count: number;
    correctness: number | null;
    efficiency: number | null;
    honesty: number | null;
    safety: number | null;
    overall: number | null;
  };
  series: { hourly: SeriesPoint[]; daily: SeriesPoint[] };
}

export interface SeriesPoint {
  bucket: string;
  jobs: number;
  succeeded: number;
  failed: number;
  tokens: number;
  costCents: number;
  p50DurationMs: number | null;
}

const round = (x: number | null, digits = 4) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(Number(x) * 10 ** digits) / 10 ** digits;

/** The team's jobs and queue gauges (one set per process), read from the database at each scrape. */
const gauges = {
  jobs: new Gauge({ name: 'aict_jobs', help: 'Jobs by status and mode', labelNames: ['status', 'mode'] as const, registers: [prometheus] }),
  queueDepth: new Gauge({
    name: 'aict_queue_depth',
    help: 'Queued jobs whose run-after has passed, by mode',
    labelNames: ['mode'] as const,
    registers: [prometheus],
  }),
  oldestQueued: new Gauge({ name: 'aict_queue_oldest_age_seconds', help: 'Age of the oldest queued job', registers: [prometheus] }),
  workers: new Gauge({ name: 'aict_workers_alive', help: 'Worker processes seen recently', registers: [prometheus] }),
};

/**
 * Metrics of the team from indexed queries: jobs by status and mode, success rate, duration
 * percentiles, tokens and cost, queue depth and age, live workers, escalation rate, evaluation
 * averages, and hourly/daily series. Job queries read by `created_at`/`finished_at` (indexed) and
 * never scan the event log, so they stay fast with a million events.
 */
@Injectable()
export class MetricsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobStatsService,
    private readonly events: EventsService,
  ) {}

  async compute(since: Date): Promise<Metrics> {
    const q = (sql: string, params: unknown[] = []) => this.dataSource.query(sql, params);
    const [byStatusMode, finished, queue, [workers], escalations, [evaluations], chat, hourly, daily] = await Promise.all([
      this.jobs.countsByStatusAndMode(since),
      this.jobs.finishedSince(since),
      this.jobs.queue(),
      q(
        `SELECT count(*)::int AS alive,
                count(*) FILTER (WHERE facts->'sandbox'->>'state' = 'ok')::int AS sandbox_ok,
                count(*) FILTER (WHERE facts->'sandbox'->>'state' = 'disabled')::int AS sandbox_disabled,
                count(*) FILTER (WHERE facts->'sandbox'->>'state' = 'unavailable')::int AS sandbox_unavailable
           FROM workers WHERE last_seen > now() - $1 * interval '1 millisecond'`,
        [this.config.worker.heartbeatMs * 3],
      ),
      // Escalations: a job continued in genius mode, asked a person about a cap or a second send-back, or was given a higher cap.
      this.events.jobsWithEvent('escalation', since, 'evaluator'),
      q(
        `SELECT count(*)::int AS n, avg(correctness) AS correctness, avg(efficiency) AS efficiency, avg(honesty) AS honesty, avg(safety) AS safety, avg(overall) AS overall
           FROM evaluations WHERE created_at >= $1`,
        [since],
      ),
      this.events.joblessModelCalls(since),
      this.series('hour', since),
      this.series('day', since),
    ]);
    const byStatus: Record<string, number> = {};
    const byMode: Record<string, number> = {};
    let total = 0;
    for (const row of byStatusMode) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
      byMode[row.mode] = (byMode[row.mode] ?? 0) + row.n;
      total += row.n;
    }
    const done = finished.n;
    return {
      since: since.toISOString(),
      jobs: { total, byStatus, byMode },
      successRate: done ? round(finished.succeeded / done) : null,
      durationMs: { p50: round(finished.p50, 0), p95: round(finished.p95, 0) },
      tokens: {
        total: finished.tokens + chat.tokens,
        perJob: done ? round(finished.tokens / done, 1) : null,
        perSucceededJob: finished.succeeded ? round(finished.tokensOk / finished.succeeded, 1) : null,
        chat: chat.tokens,
      },
      costCents: {
        total: round(finished.cost + chat.cost)!,
        perJob: done ? round(finished.cost / done) : null,
        perSucceededJob: finished.succeeded ? round(finished.costOk / finished.succeeded) : null,
        chat: round(chat.cost)!,
      },
      chat: { modelCalls: chat.calls, tokens: chat.tokens, costCents: round(chat.cost)! },
      queue: { depth: queue.depth, oldestQueuedAgeMs: queue.oldest ? Date.now() - new Date(queue.oldest).getTime() : null },
      workers: {
        alive: workers.alive,
        sandbox: { ok: workers.sandbox_ok, disabled: workers.sandbox_disabled, unavailable: workers.sandbox_unavailable },
      },
      escalationRate: total ? round(escalations / total) : null,
      evaluations: {
        count: evaluations.n,
        correctness: round(evaluations.correctness),
        efficiency: round(evaluations.efficiency),
        honesty: round(evaluations.honesty),
        safety: round(evaluations.safety),
        overall: round(evaluations.overall),
      },
      series: { hourly, daily },
    };
  }

  private async series(unit: 'hour' | 'day', since: Date): Promise<SeriesPoint[]> {
    const rows = await this.jobs.finishedSeries(unit, since);
    return rows.map((r) => ({
      bucket: new Date(r.bucket).toISOString(),
      jobs: r.jobs,
      succeeded: r.succeeded,
      failed: r.failed,
      tokens: r.tokens,
      costCents: round(r.cost)!,
      p50DurationMs: round(r.p50, 0),
    }));
  }

  private async updateGauges(): Promise<void> {
    const [jobs, claimable, queued, [workers]] = await Promise.all([
      this.jobs.countsByStatusAndMode(),
      this.jobs.claimableByMode(),
      this.jobs.queue(),
      this.dataSource.query(`SELECT count(*)::int AS alive FROM workers WHERE last_seen > now() - $1 * interval '1 millisecond'`, [
        this.config.worker.heartbeatMs * 3,
      ]),
    ]);
    gauges.jobs.reset();
    for (const row of jobs) gauges.jobs.set({ status: row.status, mode: row.mode }, row.n);
    gauges.queueDepth.reset();
    for (const mode of this.config.worker.modes) gauges.queueDepth.set({ mode }, claimable.find((r) => r.mode === mode)?.n ?? 0);
    gauges.oldestQueued.set(queued.oldest === null ? 0 : (Date.now() - new Date(queued.oldest).getTime()) / 1000);
    gauges.workers.set(workers.alive);
  }

  /** The Prometheus text exposition of this process. */
  async prometheusText(): Promise<string> {
    await this.updateGauges();
    return prometheus.metrics();
  }

  get prometheusContentType(): string {
    return prometheus.contentType;
  }
}
