import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, JobMode, unstorableText } from '@app/common';
import { CreateJobUseCase } from '@app/jobs';
import { WebhooksErrorCode, WebhooksException } from './webhooks.errors';

export type WebhookSource = 'github' | 'generic';

/** Minimal shape of the GitHub payloads handled (`issues` and `issue_comment`). */
export interface GithubIssuePayload {
  action?: string;
  label?: { name?: string };
  issue?: { number?: number; title?: string; body?: string | null; html_url?: string };
  comment?: { body?: string; user?: { type?: string; login?: string } };
  repository?: { full_name?: string; clone_url?: string };
}

/** What a handled delivery turns into: a job to create, or a reason to ignore it. */
export type GithubIntent = { goal: string; repo: string } | { ignored: string };

const MAX_GOAL = 10_000;

/** A payload field that should be text; anything else (a signed but odd payload) reads as empty. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Turns verified webhook deliveries into untrusted jobs, once per delivery id. */
@Injectable()
export class WebhookIntakeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly createJob: CreateJobUseCase,
  ) {}

  /** Reads what a GitHub event asks for: a labelled issue, or a comment that mentions the trigger. */
  githubIntent(event: string | undefined, payload: GithubIssuePayload): GithubIntent {
    const { githubTriggerLabel: label, githubTriggerMention: mention, githubRepoMap: map } = this.config.webhooks;
    let goal: string;
    if (event === 'issues' && payload.action === 'labeled') {
      if (payload.label?.name !== label) return { ignored: `label is not ${label}` };
      goal = [text(payload.issue?.title), text(payload.issue?.body)].join('\n\n').trim();
    } else if (event === 'issue_comment' && payload.action === 'created') {
      const body = text(payload.comment?.body);
      const at = body.toLowerCase().indexOf(mention.toLowerCase());
      if (at < 0) return { ignored: `comment does not mention ${mention}` };
      if (payload.comment?.user?.type === 'Bot') return { ignored: 'comment is from a bot' };
      goal = body.slice(at + mention.length).trim() || text(payload.issue?.title).trim();
    } else {
      return { ignored: `event ${event ?? '(none)'}${payload.action ? `/${payload.action}` : ''} is not handled` };
    }
    const name = text(payload.repository?.full_name);
    const repo = Object.hasOwn(map, name) ? map[name] : text(payload.repository?.clone_url);
    if (!repo) return { ignored: `no repository for ${name || 'this event'} (set GITHUB_REPO_MAP)` };
    if (!goal) return { ignored: 'the issue has no text to work from' };
    const unstorable = unstorableText(goal)
      ? `the issue text ${unstorableText(goal)}`
      : unstorableText(repo)
        ? `the repository ${unstorableText(repo)}`
        : null;
    if (unstorable) throw new WebhooksException(WebhooksErrorCode.InvalidPayload, `Cannot take this issue: ${unstorable}`);
    // Never cut an emoji (a surrogate pair) in half: half of one cannot be stored.
    return { goal: goal.slice(0, MAX_GOAL).replace(/[\uD800-\uDBFF]$/, ''), repo };
  }

  /** Records the delivery id (unique per source) and creates the job; a repeated id is a replay. */
  async intake(
    source: WebhookSource,
    deliveryId: string,
    job: { goal: string; repo: string; mode?: JobMode },
  ): Promise<{ jobId: string; status: string }> {
    const [inserted] = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING delivery_id`,
      [source, deliveryId],
    );
    if (!inserted) throw new WebhooksException(WebhooksErrorCode.Replayed, `Delivery ${deliveryId} was already received`);
    try {
      const created = await this.createJob.execute({ ...job, source: 'webhook', untrusted: true, actor: `webhook:${source}` });
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
