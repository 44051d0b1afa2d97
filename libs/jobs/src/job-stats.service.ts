import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Job counts of one status and mode. */
export interface JobCount {
  status: string;
  mode: string;
  n: number;
}

/** What the jobs that finished in a window used and how long they took. */
export interface FinishedSummary {
  n: number;
  succeeded: number;
  p50: number | null;
  p95: number | null;
  tokens: number;
  cost: number;
  tokensOk: number;
  costOk: number;
}

/** One bucket of finished jobs. */
export interface FinishedBucket {
  bucket: Date;
  jobs: number;
  succeeded: number;
  failed: number;
  tokens: number;
  cost: number;
  p50: number | null;
}

/**
 * Aggregates over the `jobs` table for metrics and dashboards, so other modules never query it.
 * Evaluator jobs (the team grading itself) are left out of the windowed figures.
 */
@Injectable()
export class JobStatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Jobs by status and mode: created since `since` (evaluators aside), or all of them. */
  countsByStatusAndMode(since?: Date): Promise<JobCount[]> {
    return since
      ? this.dataSource.query(
          `SELECT status, mode, count(*)::int AS n FROM jobs WHERE created_at >= $1 AND agent_role <> 'evaluator' GROUP BY status, mode`,
          [since],
        )
      : this.dataSource.query(`SELECT status, mode, count(*)::int AS n FROM jobs GROUP BY status, mode`);
  }

  /** Jobs finished since `since` (evaluators aside): count, successes, duration percentiles, use. */
  async finishedSince(since: Date): Promise<FinishedSummary> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n,
              count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p95,
              coalesce(sum(used_tokens), 0)::float AS tokens, coalesce(sum(used_cost_cents), 0)::float AS cost,
              coalesce(sum(used_tokens) FILTER (WHERE status = 'succeeded'), 0)::float AS tokens_ok,
              coalesce(sum(used_cost_cents) FILTER (WHERE status = 'succeeded'), 0)::float AS cost_ok
         FROM jobs WHERE finished_at >= $1 AND agent_role <> 'evaluator'`,
      [since],
    );
    return {
      n: row.n,
      succeeded: row.succeeded,
      p50: row.p50,
      p95: row.p95,
      tokens: row.tokens,
      cost: row.cost,
      tokensOk: row.tokens_ok,
      costOk: row.cost_ok,
    };
  }

  /** Queued jobs: how many, and when the oldest was created. */
  async queue(): Promise<{ depth: number; oldest: Date | null }> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS depth, min(created_at) AS oldest FROM jobs WHERE status = 'queued'`);
    return { depth: row.depth, oldest: row.oldest };
  }

  /** Queued jobs whose time has come, by mode (what workers of each mode could claim now). */
  claimableByMode(): Promise<{ mode: string; n: number }[]> {
    return this.dataSource.query(`SELECT mode, count(*)::int AS n FROM jobs WHERE status = 'queued' AND run_after <= now() GROUP BY mode`);
  }

  /** Jobs finished since `since` (evaluators aside) in hourly or daily buckets. */
  finishedSeries(unit: 'hour' | 'day', since: Date): Promise<FinishedBucket[]> {
    return this.dataSource.query(
      `SELECT date_trunc('${unit === 'day' ? 'day' : 'hour'}', finished_at) AS bucket, count(*)::int AS jobs,
              count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed,
              coalesce(sum(used_tokens), 0)::float AS tokens, coalesce(sum(used_cost_cents), 0)::float AS cost,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p50
         FROM jobs WHERE finished_at >= $1 AND agent_role <> 'evaluator' GROUP BY 1 ORDER BY 1`,
      [since],
    );
  }
}
