import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { CommonErrorCode, decodeCursor, DomainException, encodeCursor, LOGGER, Page } from '@app/common';
import { EventBus, EventRecord, EventsService } from '@app/events';
import { nextStepAfter } from '@app/jobs';
import { TDLN, TdlnEngine } from '@app/tdln';
import { NotificationRow, NotificationView, ROUTINE_KINDS } from './notifications.dto';

/** Kinds of notification. */
export type NotificationKind =
  | 'job_started'
  | 'job_succeeded'
  | 'job_failed'
  | 'job_aborted'
  | 'needs_attention'
  | 'budget_warning'
  | 'cap_reached'
  | 'insight'
  | 'reminder';

const CAP_CODES = ['step_limit', 'token_limit', 'cost_limit', 'time_limit'];
/** How long notifications made from events wait to be written together. */
const BATCH_WINDOW_MS = 5;

/** A notification to store, as made from an event or asked for: what happened, and what it is about. */
export interface NotificationDraft {
  kind: NotificationKind;
  title: string;
  body: string;
  jobId: string | null;
  conversationId: string | null;
  context?: { goal: string | null; repo: string | null } | null;
}
/** Roles whose jobs people asked for (the others are the team's own: evaluations, the Watcher). */
const NOTIFIED_ROLES = ['coordinator', 'builder', 'planner', 'reviewer'];

/**
 * The notification board: job lifecycle, needs-your-attention, budget warnings and caps reached,
 * Watcher insights and reminders. Made from the event stream (every process sees every event; the
 * dedupe key lets one write it), stored, announced as a `notification` event for live boards, and
 * posted into the job's conversation.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnModuleDestroy {
  private unsubscribe?: () => void;
  private readonly logger: Logger;
  /** Notifications made from events, waiting for the batch window to close. */
  private pending: { note: NotificationDraft; dedupeKey: string }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: EventBus,
    private readonly events: EventsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) logger: Logger,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
  ) {
    this.logger = logger.child({ component: 'notifications' });
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe({ types: ['status', 'budget_warning', 'error', 'insight', 'reminder'] }, (event) => {
      const note = this.fromEvent(event);
      if (note) {
        // A busy queue makes two notifications a job: they are written in batches, one transaction
        // (and one turn at the events lock) for all that arrived within the window.
        this.pending.push({ note, dedupeKey: `event:${event.id}` });
        this.flushTimer ??= setTimeout(() => void this.flush(), BATCH_WINDOW_MS);
      }
      // A question answered is a notification handled: its "needs your attention" items are read.
      const moved = event.data as { from?: string };
      if (event.type === 'status' && event.jobId && moved.from === 'waiting_human')
        this.markHandled(event.jobId).catch((error: Error) => this.logger.warn({ err: error.message }, 'marking handled failed'));
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.flush();
  }

  /** Writes the notifications waiting in the batch window, after any batch still being written. */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      await this.createMany(batch).catch((error: Error) =>
        this.logger.warn({ err: error.message, notifications: batch.length }, 'notifications failed'),
      );
    });
    return this.flushing;
  }

  /** What an event means for a person, if anything. */
  fromEvent(event: EventRecord): NotificationDraft | null {
    const about = (event.data as { job?: { goal?: string; repo?: string } }).job;
    const base = {
      jobId: event.jobId,
      conversationId: event.conversationId,
      context: about ? { goal: about.goal ?? null, repo: about.repo ?? null } : null,
    };
    // Notifications are about the work people asked for, not the team's internal jobs (evaluations...).
    if (event.jobId && !NOTIFIED_ROLES.includes(event.role ?? '')) return null;
    const data = event.data as {
      to?: string;
      from?: string;
      attempt?: number;
      reason?: string;
      errorCode?: string;
      question?: { question?: string };
      dimension?: string;
      title?: string;
      severity?: string;
      confidence?: number;
      evidence?: Record<string, unknown>;
    };
    // A job's outcome, in words from its template (not the transition's "running → failed: …").
    const job = { id: event.jobId ?? '' };
    switch (event.type) {
      case 'status':
        if (data.to === 'running' && data.from === 'queued' && data.attempt === 1 && data.reason === 'claimed')
          return { ...base, kind: 'job_started', title: 'Job started', body: this.tdln.text('job_running', { job }).text };
        if (data.to === 'succeeded')
          return { ...base, kind: 'job_succeeded', title: 'Job succeeded', body: this.tdln.text('job_finished', { job }).text };
        if (data.to === 'failed')
          return {
            ...base,
            kind: CAP_CODES.includes(data.errorCode ?? '') ? 'cap_reached' : 'job_failed',
            title: CAP_CODES.includes(data.errorCode ?? '')
              ? `Budget cap reached: ${data.errorCode}`
              : `Job failed${data.errorCode ? `: ${data.errorCode}` : ''}`,
            body: this.tdln.text('job_failed', {
              job,
              reason: data.reason ?? data.errorCode ?? 'unknown',
              next_step: nextStepAfter(data.errorCode),
            }).text,
          };
        if (data.to === 'aborted')
          return {
            ...base,
            kind: 'job_aborted',
            title: 'Job aborted',
            body: this.tdln.text('job_aborted', { job, reason: data.reason ?? null }).text,
          };
        if (data.to === 'waiting_human')
          return { ...base, kind: 'needs_attention', title: 'Needs your attention', body: data.question?.question ?? event.summary };
        return null;
      case 'budget_warning':
        return { ...base, kind: 'budget_warning', title: `Budget warning: ${data.dimension}`, body: event.summary };
      case 'insight': {
        // What the Watcher found, in words: its facts, and the jobs it saw them in.
        const { jobId, jobIds, ...facts } = data.evidence ?? {};
        const body = this.tdln.text('insight', {
          severity: data.severity ?? 'info',
          confidence: data.confidence ?? 0,
          facts: Object.entries(facts).map(([name, value]) => ({
            name,
            value: typeof value === 'number' ? Math.round(value * 100) / 100 : String(value),
          })),
          sources: [...(typeof jobId === 'string' ? [jobId] : []), ...(Array.isArray(jobIds) ? jobIds.map(String) : [])].slice(0, 10),
        });
        return { ...base, kind: 'insight', title: `Insight: ${data.title ?? event.summary}`, body: body.text };
      }
      case 'reminder':
        return { ...base, kind: 'reminder', title: 'Still waiting for you', body: event.summary };
      default:
        return null;
    }
  }

  /** Stores a notification once per dedupe key and announces it; returns null when it already existed. */
  async create(note: NotificationDraft, dedupeKey: string): Promise<NotificationView | null> {
    const [view] = await this.createMany([{ note, dedupeKey }]);
    return view ?? null;
  }

  /**
   * Stores notifications once per dedupe key and announces the new ones, all in one transaction
   * with one insert each for the notifications and their events; returns the new ones.
   */
  async createMany(entries: { note: NotificationDraft; dedupeKey: string }[]): Promise<NotificationView[]> {
    if (entries.length === 0) return [];
    return this.dataSource.transaction(async (manager) => {
      // A note from an event that does not carry its job's goal takes it from the job's last status event that does.
      const unknown = [...new Set(entries.filter((e) => !e.note.context && e.note.jobId).map((e) => e.note.jobId!))];
      const known = await this.events.lastJobContexts(unknown, manager);
      const rows: (NotificationRow & { dedupe_key: string })[] = await manager.query(
        `INSERT INTO notifications (kind, title, body, job_id, conversation_id, dedupe_key, context, read_at)
         SELECT kind, title, body, job_id, conversation_id, dedupe_key, context, CASE WHEN routine THEN now() END
           FROM jsonb_to_recordset($1::jsonb)
             AS x(kind text, title text, body text, job_id uuid, conversation_id uuid, dedupe_key text, context jsonb, routine boolean, n int)
          ORDER BY n
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
        [
          JSON.stringify(
            entries.map(({ note, dedupeKey }, n) => ({
              kind: note.kind,
              title: note.title,
              body: note.body,
              job_id: note.jobId,
              conversation_id: note.conversationId,
              dedupe_key: dedupeKey,
              context: note.context ?? (note.jobId ? (known.get(note.jobId) ?? null) : null),
              // Routine notifications (a job started) are stored read: they are there to look at, not to act on.
              routine: ROUTINE_KINDS.includes(note.kind),
              n,
            })),
          ),
        ],
      );
      if (rows.length === 0) return [];
      const order = new Map(entries.map((e, n) => [e.dedupeKey, n]));
      const views = rows.sort((a, b) => order.get(a.dedupe_key)! - order.get(b.dedupe_key)!).map(NotificationView.of);
      // Not attached to the job or the conversation: it is about them, not part of their timelines.
      await this.events.record(
        manager,
        views.map((view) => ({ type: 'notification', summary: view.title, data: view as unknown as Record<string, unknown> })),
      );
      for (const view of views) {
        if (!view.conversationId || !['budget_warning', 'cap_reached', 'reminder', 'insight'].includes(view.kind)) continue;
        // Lifecycle and questions are posted by the chat itself; these reach the conversation as notes.
        await manager.query(
          `INSERT INTO messages (conversation_id, role, content, job_id, data, dedupe_key) VALUES ($1, 'system', $2, $3, $4::jsonb, $5) ON CONFLICT (dedupe_key) DO NOTHING`,
          [
            view.conversationId,
            `${view.title}: ${view.body}`,
            view.jobId,
            JSON.stringify({ notificationId: view.id }),
            `notification:${view.id}`,
          ],
        );
      }
      return views;
    });
  }

  async list(filter: { unread?: boolean; limit: number; cursor?: string }): Promise<Page<NotificationView> & { unreadCount: number }> {
    const params: unknown[] = [filter.limit + 1];
    let where = filter.unread ? 'WHERE read_at IS NULL' : 'WHERE true';
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor, ['timestamp', 'uuid']);
      params.push(createdAt, id);
      where += ` AND (created_at, id) < ($2, $3)`;
    }
    const rows = await this.dataSource.query(`SELECT * FROM notifications ${where} ORDER BY created_at DESC, id DESC LIMIT $1`, params);
    const items = rows.slice(0, filter.limit).map(NotificationView.of);
    const [{ n }] = await this.dataSource.query('SELECT count(*)::int AS n FROM notifications WHERE read_at IS NULL');
    const last = items.at(-1);
    return { items, unreadCount: n, nextCursor: rows.length > filter.limit && last ? encodeCursor([last.createdAt, last.id]) : null };
  }

  /** Marks every unread notification read; announces each, so live boards follow. */
  async markAllRead(): Promise<{ updated: number }> {
    return this.markAndAnnounce(`UPDATE notifications SET read_at = now() WHERE read_at IS NULL RETURNING *`, []);
  }

  /** A job's question was answered: its "needs your attention" and reminder notifications are handled. */
  async markHandled(jobId: string): Promise<{ updated: number }> {
    return this.markAndAnnounce(
      `UPDATE notifications SET read_at = now() WHERE job_id = $1 AND read_at IS NULL AND kind IN ('needs_attention', 'reminder') RETURNING *`,
      [jobId],
    );
  }

  private async markAndAnnounce(sql: string, params: unknown[]): Promise<{ updated: number }> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query(sql, params);
      const views = (rows ?? []).map(NotificationView.of);
      if (views.length)
        await this.events.record(
          manager,
          views.map((view: NotificationView) => ({
            type: 'notification',
            summary: `${view.title} (read)`,
            data: view as unknown as Record<string, unknown>,
          })),
        );
      return { updated: views.length };
    });
  }

  async markRead(id: string): Promise<NotificationView> {
    const [rows] = await this.dataSource.query(`UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 RETURNING *`, [
      id,
    ]);
    if (!rows?.length) throw new DomainException(CommonErrorCode.NotFound, `Notification ${id} does not exist`);
    return NotificationView.of(rows[0]);
  }
}
