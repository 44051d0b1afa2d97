import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AdvisoryLock, Page, decodeCursor, encodeCursor, redactSecrets } from '@app/common';
import { EventRecord } from './entities/event-record.entity';
import { EVENTS_CHANNEL, EventDraft, EventFilter } from './events.types';

/** Records events and reads them back. */
@Injectable()
export class EventsService {
  constructor(
    @InjectRepository(EventRecord) private readonly events: Repository<EventRecord>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Inserts events inside the caller's transaction and announces the highest new id on commit.
   * The transaction lock makes ids become visible in id order, so a reader that has seen id N
   * never later finds a smaller one appearing.
   */
  async record(
    manager: EntityManager,
    drafts: EventDraft[],
    alsoNotify: { channel: string; payload: string }[] = [],
  ): Promise<EventRecord[]> {
    if (drafts.length === 0) return [];
    await manager.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLock.Events]);
    return this.recordLocked(manager, drafts, alsoNotify);
  }

  /**
   * Inserts when the caller already holds {@link AdvisoryLock.Events}: one statement inserts the
   * rows and sends the notifications (they go out on commit).
   */
  async recordLocked(
    manager: EntityManager,
    drafts: EventDraft[],
    alsoNotify: { channel: string; payload: string }[] = [],
  ): Promise<EventRecord[]> {
    if (drafts.length === 0) return [];
    if (!manager.queryRunner?.isTransactionActive) throw new Error('events must be recorded inside a transaction');
    const rows: Record<string, unknown>[] = await manager.query(
      `WITH inserted AS (
         INSERT INTO events (job_id, trace_id, conversation_id, type, role, summary, data)
         SELECT job_id, trace_id, conversation_id, type, role, coalesce(summary, ''), coalesce(data, '{}'::jsonb)
           FROM jsonb_to_recordset($1::jsonb) AS x(job_id uuid, trace_id uuid, conversation_id uuid, type text, role text, summary text, data jsonb)
         RETURNING id, job_id, trace_id, conversation_id, type, role, summary, data, created_at
       ), announced AS (
         SELECT pg_notify($2, (SELECT max(id) FROM inserted)::text)
         UNION ALL SELECT pg_notify(n.channel, n.payload) FROM jsonb_to_recordset($3::jsonb) AS n(channel text, payload text)
       )
       SELECT inserted.*, (SELECT count(*) FROM announced) AS notified FROM inserted ORDER BY id`,
      [JSON.stringify(drafts.map(eventRow)), EVENTS_CHANNEL, JSON.stringify(alsoNotify)],
    );
    return rows.map(toRecord);
  }

  /**
   * Records events in a statement of their own (its own transaction): the lock is taken in the
   * same statement, before any id is drawn, and released at its commit. `relaxed` commits without
   * waiting for the WAL flush (see ASYNC_COMMIT), for an agent's step-by-step events.
   */
  async recordNow(drafts: EventDraft[], options: { relaxed?: boolean } = {}): Promise<EventRecord[]> {
    if (drafts.length === 0) return [];
    const relaxed = options.relaxed ? ", set_config('synchronous_commit', 'off', true) AS relaxed" : '';
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH locked AS (SELECT pg_advisory_xact_lock($3) AS held${relaxed}),
       inserted AS (
         INSERT INTO events (job_id, trace_id, conversation_id, type, role, summary, data)
         SELECT x.job_id, x.trace_id, x.conversation_id, x.type, x.role, coalesce(x.summary, ''), coalesce(x.data, '{}'::jsonb)
           FROM locked, jsonb_to_recordset($1::jsonb) AS x(job_id uuid, trace_id uuid, conversation_id uuid, type text, role text, summary text, data jsonb)
         RETURNING id, job_id, trace_id, conversation_id, type, role, summary, data, created_at
       ), announced AS (SELECT pg_notify($2, (SELECT max(id) FROM inserted)::text))
       SELECT inserted.*, (SELECT count(*) FROM announced) AS notified FROM inserted ORDER BY id`,
      [JSON.stringify(drafts.map(eventRow)), EVENTS_CHANNEL, AdvisoryLock.Events],
    );
    return rows.map(toRecord);
  }

  /** Events after `afterId`, in id order, matching the filter. */
  async after(afterId: number, filter: EventFilter & { type?: string }, limit: number): Promise<EventRecord[]> {
    const query = this.events.createQueryBuilder('e').where('e.id > :afterId', { afterId }).orderBy('e.id', 'ASC').limit(limit);
    if (filter.jobId) query.andWhere('e.job_id = :jobId', { jobId: filter.jobId });
    if (filter.traceId) query.andWhere('e.trace_id = :traceId', { traceId: filter.traceId });
    if (filter.conversationId) query.andWhere('e.conversation_id = :conversationId', { conversationId: filter.conversationId });
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.types) query.andWhere('e.type IN (:...types)', { types: filter.types });
    return query.getMany();
  }

  /** A page of events matching the filter, oldest first. */
  async list(filter: EventFilter & { type?: string; limit: number; cursor?: string }): Promise<Page<EventRecord>> {
    const afterId = filter.cursor ? Number(decodeCursor(filter.cursor, ['integer'])[0]) : 0;
    const rows = await this.after(afterId, filter, filter.limit + 1);
    const items = rows.slice(0, filter.limit);
    return { items, nextCursor: rows.length > filter.limit ? encodeCursor([items[items.length - 1].id]) : null };
  }

  /**
   * How many jobs (of any role but `exceptRole`) entered `status` since `since`, from their status
   * events (whose role is the job's role).
   */
  async jobsThatEntered(status: string, since: Date, exceptRole: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(DISTINCT job_id)::int AS n FROM events
        WHERE type = 'status' AND created_at >= $1 AND data->>'to' = $2 AND job_id IS NOT NULL AND role IS DISTINCT FROM $3`,
      [since, status, exceptRole],
    );
    return row.n;
  }

  /** What each job is about (`{goal, repo}`), from its last status event that carries it. */
  async lastJobContexts(jobIds: string[], manager?: EntityManager): Promise<Map<string, unknown>> {
    if (jobIds.length === 0) return new Map();
    const rows: { job_id: string; job: unknown }[] = await (manager ?? this.dataSource).query(
      `SELECT DISTINCT ON (job_id) job_id, data->'job' AS job FROM events
        WHERE job_id = ANY($1::uuid[]) AND type = 'status' AND data ? 'job' ORDER BY job_id, id DESC`,
      [jobIds],
    );
    return new Map(rows.map((r) => [r.job_id, r.job]));
  }

  /** What the last call of a tool in a job returned (its result data), if the job called it. */
  async lastToolResult(jobId: string, tool: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT data->'result'->'data' AS result FROM events WHERE job_id = $1 AND type = 'tool_call' AND data->>'tool' = $2 ORDER BY id DESC LIMIT 1`,
      [jobId, tool],
    );
    return row?.result ?? undefined;
  }

  /** Jobs (not of role `exceptRole`) that had at least one event of `type` since `since`. */
  async jobsWithEvent(type: string, since: Date, exceptRole: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(DISTINCT job_id)::int AS n FROM events
        WHERE type = $2 AND created_at >= $1 AND job_id IS NOT NULL AND role IS DISTINCT FROM $3`,
      [since, type, exceptRole],
    );
    return row.n;
  }

  /** Model calls made outside any job (chat replies) since `since`: how many, their tokens and cost. */
  async joblessModelCalls(since: Date): Promise<{ calls: number; tokens: number; cost: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS calls, coalesce(sum((data->>'totalTokens')::float), 0)::float AS tokens,
              coalesce(sum((data->>'costCents')::float), 0)::float AS cost
         FROM events WHERE type = 'model_call' AND job_id IS NULL AND created_at >= $1`,
      [since],
    );
    return row;
  }

  /** The highest event id committed so far. */
  async maxId(): Promise<number> {
    const [row] = await this.dataSource.query('SELECT coalesce(max(id), 0) AS max FROM events');
    return Number(row.max);
  }
}

function eventRow(draft: EventDraft) {
  const d = redactSecrets(draft);
  return {
    job_id: d.jobId ?? null,
    trace_id: d.traceId ?? null,
    conversation_id: d.conversationId ?? null,
    type: d.type,
    role: d.role ?? null,
    summary: d.summary ?? '',
    data: d.data ?? {},
  };
}

export function toRecord(row: Record<string, unknown>): EventRecord {
  return Object.assign(new EventRecord(), {
    id: Number(row.id),
    jobId: row.job_id as string | null,
    traceId: row.trace_id as string | null,
    conversationId: row.conversation_id as string | null,
    type: row.type as string,
    role: row.role as string | null,
    summary: row.summary as string,
    data: row.data as Record<string, unknown>,
    createdAt: row.created_at as Date,
  });
}
