import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeCursor, DomainException, encodeCursor, JobMode, Page, rawPool } from '@app/common';
import { LedgerService } from '@app/ledger';
import { Job } from './entities/job.entity';
import { JobStatus, deriveStatus } from './job-status';
import { JobsErrorCode } from './jobs.errors';
import { jobColumns, jobFromRow } from './job-row';

/** Reads jobs. Writes go through the use cases and {@link JobTransitions}. */
@Injectable()
export class JobsService {
  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly ledger: LedgerService,
  ) {}

  /** One job without its checkpoint or patch; one statement, without the query builder (the API's most frequent read). */
  async get(id: string): Promise<Job> {
    const dataSource = this.jobs.manager.connection;
    const {
      rows: [row],
    } = await rawPool(dataSource).query(`SELECT ${jobColumns(dataSource)} FROM jobs j WHERE j.id = $1`, [id]);
    if (!row) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${id} does not exist`);
    return jobFromRow(dataSource, row);
  }

  /**
   * The job's patch (unified diff against its base), or null when it produced none. A job waiting for
   * a person has not published yet: its patch is the change as it was when it parked (its checkpoint),
   * so a decision is taken on the diff it decides about (`pending`).
   */
  async patchOf(id: string): Promise<{ patch: string | null; branch: string | null; pending: boolean }> {
    const row = await this.jobs
      .createQueryBuilder('j')
      .select(['j.id', 'j.patch', 'j.branch', 'j.status', 'j.checkpoint'])
      .where('j.id = :id', { id })
      .getOne();
    if (!row) throw new DomainException(JobsErrorCode.JobNotFound, `Job ${id} does not exist`);
    const parked = (row.checkpoint as { diff?: unknown } | null)?.diff;
    if (row.patch === null && row.status === 'waiting_human' && typeof parked === 'string')
      return { patch: parked, branch: row.branch, pending: true };
    return { patch: row.patch, branch: row.branch, pending: false };
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(filter: {
    status?: JobStatus;
    mode?: JobMode;
    conversationId?: string;
    repo?: string;
    role?: string;
    /** Only jobs of these roles (the default list: the roles a request can name). */
    roles?: readonly string[];
    /** Leave out jobs of these roles (the team's own, like evaluations). */
    excludeRoles?: string[];
    limit: number;
    cursor?: string;
  }): Promise<Page<Job>> {
    const query = this.jobs
      .createQueryBuilder('j')
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.status) query.andWhere('j.status = :status', { status: filter.status });
    if (filter.mode) query.andWhere('j.mode = :mode', { mode: filter.mode });
    if (filter.role) query.andWhere('j.agent_role = :role', { role: filter.role });
    if (filter.roles) query.andWhere('j.agent_role IN (:...roles)', { roles: filter.roles });
    if (filter.conversationId) query.andWhere('j.conversation_id = :conversationId', { conversationId: filter.conversationId });
    if (filter.repo) query.andWhere('j.repo = :repo', { repo: filter.repo });
    if (filter.excludeRoles?.length) query.andWhere('j.agent_role <> ALL(:excludeRoles)', { excludeRoles: filter.excludeRoles });
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor, ['timestamp', 'uuid']);
      query.andWhere('(j.created_at, j.id) < (:createdAt, :id)', { createdAt, id });
    }
    const rows = await query.getMany();
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > filter.limit ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
  }

  /** The jobs started for a job (its evaluations), oldest first. */
  async childrenOf(id: string): Promise<Job[]> {
    return this.jobs.find({ where: { parentJobId: id }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The ids of the jobs that ended (succeeded, failed or aborted) more than `ms` milliseconds ago. */
  async endedBefore(ms: number): Promise<string[]> {
    const rows: { id: string }[] = await this.jobs.query(
      `SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'aborted') AND finished_at < now() - $1 * interval '1 millisecond'`,
      [ms],
    );
    return rows.map((r) => r.id);
  }

  /** The job's status re-derived from its ledger entries, next to the stored one. */
  async statusFromLedger(id: string): Promise<{ stored: JobStatus; derived: JobStatus | null; consistent: boolean }> {
    const job = await this.get(id);
    const derived = deriveStatus(await this.ledger.forJob(id));
    return { stored: job.status, derived, consistent: derived === job.status };
  }
}
