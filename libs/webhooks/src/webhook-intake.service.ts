import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, DomainException, JobMode, LOGGER, unstorableText } from '@app/common';
import { CreateJobUseCase } from '@app/jobs';
import { LedgerService } from '@app/ledger';
import { GithubAccount, GithubTrust, TrustVerdict, commentTrust, labelTrust } from './github-trust';
import { WebhooksErrorCode } from './webhooks.errors';

export type WebhookSource = 'github' | 'generic';

/** Minimal shape of the GitHub payloads handled (`issues` and `issue_comment`). */
export interface GithubIssuePayload {
  action?: string;
  label?: { name?: string };
  issue?: {
    number?: number;
    title?: string;
    body?: string | null;
    html_url?: string;
    user?: GithubAccount;
    author_association?: string;
  };
  comment?: { body?: string; user?: GithubAccount; author_association?: string };
  repository?: { full_name?: string; clone_url?: string };
  sender?: GithubAccount;
}

/**
 * What a handled delivery turns into: a job to create (with the login that asked for it), or a reason
 * to ignore it — with the verdict when the reason is that the sender is not trusted.
 */
export type GithubIntent = { goal: string; repo: string; login: string } | { ignored: string; untrusted?: TrustVerdict };

/** Where an ignored delivery came from, for the record. */
export interface IgnoredDelivery {
  deliveryId?: string;
  event?: string;
  action?: string;
  repository?: string;
  issue?: number;
}

const MAX_GOAL = 10_000;

/** A payload field that should be text; anything else (a signed but odd payload) reads as empty. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Turns verified webhook deliveries into untrusted jobs, once per delivery id. */
@Injectable()
export class WebhookIntakeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly createJob: CreateJobUseCase,
    private readonly ledger: LedgerService,
  ) {}

  private get trust(): GithubTrust {
    return { associations: this.config.webhooks.githubTrustedAssociations, logins: this.config.webhooks.githubTrustedLogins };
  }

  /** Reads what a GitHub event asks for: a labelled issue, or a comment that mentions the trigger. */
  githubIntent(event: string | undefined, payload: GithubIssuePayload): GithubIntent {
    const { githubTriggerLabel: label, githubTriggerMention: mention, githubRepoMap: map } = this.config.webhooks;
    let goal: string;
    let verdict: TrustVerdict;
    if (event === 'issues' && payload.action === 'labeled') {
      if (payload.label?.name !== label) return { ignored: `label is not ${label}` };
      verdict = labelTrust(this.trust, payload.sender, payload.issue);
      goal = [text(payload.issue?.title), text(payload.issue?.body)].join('\n\n').trim();
    } else if (event === 'issue_comment' && payload.action === 'created') {
      const body = text(payload.comment?.body);
      const at = body.toLowerCase().indexOf(mention.toLowerCase());
      if (at < 0) return { ignored: `comment does not mention ${mention}` };
      verdict = commentTrust(this.trust, payload.comment);
      goal = body.slice(at + mention.length).trim() || text(payload.issue?.title).trim();
    } else {
      return { ignored: `event ${event ?? '(none)'}${payload.action ? `/${payload.action}` : ''} is not handled` };
    }
    if (!verdict.trusted) return { ignored: `sender is not trusted: ${verdict.reason}`, untrusted: verdict };
    const name = text(payload.repository?.full_name);
    const repo = Object.hasOwn(map, name) ? map[name] : text(payload.repository?.clone_url);
    if (!repo) return { ignored: `no repository for ${name || 'this event'} (set GITHUB_REPO_MAP)` };
    if (!goal) return { ignored: 'the issue has no text to work from' };
    const unstorable = unstorableText(goal)
      ? `the issue text ${unstorableText(goal)}`
      : unstorableText(repo)
        ? `the repository ${unstorableText(repo)}`
        : null;
    if (unstorable) throw new DomainException(WebhooksErrorCode.InvalidPayload, `Cannot take this issue: ${unstorable}`);
    // Never cut an emoji (a surrogate pair) in half: half of one cannot be stored.
    return { goal: goal.slice(0, MAX_GOAL).replace(/[\uD800-\uDBFF]$/, ''), repo, login: verdict.login ?? '' };
  }

  /**
   * Records a delivery ignored because its sender is not trusted: a `webhook.ignored` ledger entry
   * (who, their association, why) and a warning in the log. The delivery id is kept like a job's, so
   * GitHub's redelivery of it adds nothing.
   */
  async recordUntrusted(source: WebhookSource, delivery: IgnoredDelivery, verdict: TrustVerdict): Promise<void> {
    const data = {
      source,
      deliveryId: delivery.deliveryId ?? null,
      event: delivery.event ?? null,
      action: delivery.action ?? null,
      repository: delivery.repository ?? null,
      issue: delivery.issue ?? null,
      login: verdict.login,
      association: verdict.association,
      reason: verdict.reason,
    };
    const recorded = await this.dataSource.transaction(async (manager) => {
      if (delivery.deliveryId) {
        const [inserted] = await manager.query(
          `INSERT INTO webhook_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING delivery_id`,
          [source, delivery.deliveryId],
        );
        if (!inserted) return false;
      }
      await this.ledger.append(manager, [
        {
          kind: 'webhook.ignored',
          actor: `webhook:${source}`,
          summary: `${source} delivery ignored: sender ${verdict.login ?? '(unknown)'} is not trusted`,
          data,
        },
      ]);
      return true;
    });
    if (recorded) this.logger.warn(data, 'webhook from an untrusted sender ignored');
  }

  /** Records the delivery id (unique per source) and creates the job; a repeated id is a replay. */
  async intake(
    source: WebhookSource,
    deliveryId: string,
    job: { goal: string; repo: string; mode?: JobMode; login?: string },
  ): Promise<{ jobId: string; status: string }> {
    const [inserted] = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING delivery_id`,
      [source, deliveryId],
    );
    if (!inserted) throw new DomainException(WebhooksErrorCode.Replayed, `Delivery ${deliveryId} was already received`);
    try {
      const created = await this.createJob.execute({
        goal: job.goal,
        repo: job.repo,
        mode: job.mode,
        source: 'webhook',
        untrusted: true,
        // Jobs from webhooks run under their own caps (WEBHOOK_MAX_*), whatever their mode.
        capCeiling: this.config.webhooks.caps,
        actor: job.login ? `webhook:${source}:${job.login}` : `webhook:${source}`,
      });
      await this.dataSource.query(`UPDATE webhook_deliveries SET job_id = $3 WHERE source = $1 AND delivery_id = $2`, [
        source,
        deliveryId,
        created.id,
      ]);
      return { jobId: created.id, status: created.status };
    } catch (error) {
      // Not a job: the sender may fix the request and deliver it again under the same id.
      await this.dataSource.query(`DELETE FROM webhook_deliveries WHERE source = $1 AND delivery_id = $2`, [source, deliveryId]);
      throw error;
    }
  }
}
