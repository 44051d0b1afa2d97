import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { AdvisoryLock, LOGGER } from '@app/common';
import { EventsService } from '@app/events';
import { LedgerService } from '@app/ledger';

/** One finding of the Watcher. */
export interface Insight {
  detector: 'cost_spike' | 'token_spike' | 'repeated_error' | 'redundant_work' | 'escalation_theme' | 'budget_trend';
  /** Same finding, same fingerprint: it is recorded once. */
  fingerprint: string;
  title: string;
  severity: 'info' | 'warning' | 'critical';
  confidence: number;
  evidence: Record<string, unknown>;
}

const WINDOW = "interval '7 days'";
const day = () => new Date().toISOString().slice(0, 10);
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

function stats(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, sd: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) };
}

/**
 * The Watcher: on a schedule, one instance at a time (advisory try-lock), deterministic detectors
 * look across jobs, events and the ledger for cost and token spikes (mean + 2σ), repeated error
 * codes, redundant work, recurring escalation themes and a rising budget trend. Each new finding is
 * an insight with evidence, severity and confidence, recorded in `insights` and the ledger; when
 * nothing is found nothing is recorded.
 */
@Injectable()
export class WatcherService {
  private readonly logger: Logger;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'watcher' });
  }

  /** One pass of every detector; returns the insights newly recorded (none when another instance is running). */
  async runOnce(): Promise<Insight[]> {
    return this.dataSource.transaction(async (manager) => {
      const [{ got }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS got', [AdvisoryLock.Watcher]);
      if (!got) return [];
      const found = [
        ...(await this.spikes('cost_spike', 'used_cost_cents', 'cost')),
        ...(await this.spikes('token_spike', 'used_tokens', 'tokens')),
        ...(await this.repeatedErrors()),
        ...(await this.redundantWork()),
        ...(await this.escalationThemes()),
        ...(await this.budgetTrend()),
      ];
      const recorded: Insight[] = [];
      for (const insight of found) {
        const rows = await manager.query(
          `INSERT INTO insights (detector, fingerprint, title, severity, confidence, evidence) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
           ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
          [insight.detector, insight.fingerprint, insight.title, insight.severity, insight.confidence, JSON.stringify(insight.evidence)],
        );
        if (rows.length > 0) recorded.push(insight);
      }
      if (recorded.length > 0) {
        await this.ledger.append(
          manager,
          recorded.map((i) => ({
            kind: 'insight.recorded',
            actor: 'agent:watcher' as const,
            summary: i.title,
            data: { ...i } as Record<string, unknown>,
          })),
        );
        await this.events.record(
          manager,
          recorded.map((i) => ({ type: 'insight', role: 'watcher', summary: i.title, data: { ...i } as Record<string, unknown> })),
        );
        this.logger.info({ insights: recorded.map((i) => i.fingerprint) }, 'watcher recorded insights');
      }
      return recorded;
    });
  }

  private async spikes(
    detector: 'cost_spike' | 'token_spike',
    column: 'used_cost_cents' | 'used_tokens',
    label: string,
  ): Promise<Insight[]> {
    const rows: { id: string; value: string }[] = await this.dataSource.query(
      `SELECT id, ${column} AS value FROM jobs WHERE finished_at > now() - ${WINDOW} AND agent_role <> 'evaluator' AND ${column} > 0 ORDER BY finished_at DESC LIMIT 500`,
    );
    if (rows.length < 5) return [];
    const values = rows.map((r) => Number(r.value));
    const { mean, sd } = stats(values);
    if (sd === 0) return [];
    return rows
      .filter((r) => Number(r.value) > mean + 2 * sd)
      .map((r) => ({
        detector,
        fingerprint: `${detector}:${r.id}`,
        title: `Job ${r.id} used ${Number(r.value).toFixed(2)} ${label}, above mean + 2σ (${mean.toFixed(2)} + 2×${sd.toFixed(2)})`,
        severity: Number(r.value) > mean + 4 * sd ? 'critical' : 'warning',
        confidence: Math.min(0.99, 0.5 + rows.length / 100),
        evidence: { jobId: r.id, value: Number(r.value), mean, sd, sample: rows.length },
      }));
  }

  private async repeatedErrors(): Promise<Insight[]> {
    const rows: { code: string; n: number; jobs: string[] }[] = await this.dataSource.query(
      `SELECT error_code AS code, count(*)::int AS n, (array_agg(id ORDER BY finished_at DESC))[1:10] AS jobs
         FROM jobs WHERE status = 'failed' AND finished_at > now() - ${WINDOW} AND error_code IS NOT NULL
        GROUP BY error_code HAVING count(*) >= 3`,
    );
    return rows.map((r) => ({
      detector: 'repeated_error',
      fingerprint: `repeated_error:${r.code}:${day()}`,
      title: `${r.n} jobs failed with ${r.code} in the last 7 days`,
      severity: r.n >= 10 ? 'critical' : 'warning',
      confidence: Math.min(0.95, 0.6 + 0.05 * r.n),
      evidence: { errorCode: r.code, count: r.n, jobIds: r.jobs },
    }));
  }

  private async redundantWork(): Promise<Insight[]> {
    const rows: { goal: string; repo: string; n: number; jobs: string[] }[] = await this.dataSource.query(
      `SELECT goal, repo, count(*)::int AS n, (array_agg(id ORDER BY created_at))[1:10] AS jobs
         FROM jobs WHERE created_at > now() - ${WINDOW} AND agent_role <> 'evaluator' AND status = 'succeeded'
        GROUP BY goal, repo HAVING count(*) >= 2`,
    );
    return rows.map((r) => ({
      detector: 'redundant_work',
      fingerprint: `redundant_work:${hash(`${r.repo}\n${r.goal}`)}:${r.n}`,
      title: `The same task ran ${r.n} times on ${r.repo}: "${r.goal.slice(0, 80)}"`,
      severity: 'info',
      confidence: 0.8,
      evidence: { goal: r.goal, repo: r.repo, count: r.n, jobIds: r.jobs },
    }));
  }

  private async escalationThemes(): Promise<Insight[]> {
    const rows: { theme: string; n: number; jobs: string[] }[] = await this.dataSource.query(
      `SELECT lower(left(regexp_replace(data->'question'->>'question', '[0-9a-f-]{36}|[0-9]+', '#', 'g'), 60)) AS theme, count(*)::int AS n,
              (array_agg(DISTINCT job_id))[1:10] AS jobs
         FROM events WHERE type = 'status' AND data->>'to' = 'waiting_human' AND created_at > now() - ${WINDOW}
        GROUP BY 1 HAVING count(*) >= 3`,
    );
    return rows.map((r) => ({
      detector: 'escalation_theme',
      fingerprint: `escalation_theme:${hash(r.theme)}:${r.n >= 10 ? 'many' : 'some'}`,
      title: `${r.n} escalations ask the same thing: "${r.theme}…"`,
      severity: r.n >= 10 ? 'warning' : 'info',
      confidence: 0.7,
      evidence: { theme: r.theme, count: r.n, jobIds: r.jobs },
    }));
  }

  private async budgetTrend(): Promise<Insight[]> {
    const rows: { use: number }[] = await this.dataSource.query(
      `SELECT used_tokens::float / max_tokens AS use FROM jobs WHERE finished_at IS NOT NULL AND agent_role <> 'evaluator' ORDER BY finished_at DESC LIMIT 40`,
    );
    if (rows.length < 20) return [];
    const recent = stats(rows.slice(0, rows.length / 2).map((r) => r.use)).mean;
    const before = stats(rows.slice(rows.length / 2).map((r) => r.use)).mean;
    if (before <= 0 || recent < before * 1.25 || recent < 0.2) return [];
    return [
      {
        detector: 'budget_trend',
        fingerprint: `budget_trend:${day()}`,
        title: `Jobs use more of their token budget: ${(100 * recent).toFixed(0)}% lately against ${(100 * before).toFixed(0)}% before`,
        severity: recent > 0.8 ? 'warning' : 'info',
        confidence: 0.6,
        evidence: { recentMeanUse: recent, earlierMeanUse: before, sample: rows.length },
      },
    ];
  }
}
