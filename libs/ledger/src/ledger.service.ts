import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AdvisoryLock, Page, decodeCursor, encodeCursor, redactSecrets } from '@app/common';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { GENESIS_HASH, LedgerEntryContent, hashLedgerEntry } from './ledger-hash';
import { LedgerDraft, LedgerVerification } from './ledger.types';

const VERIFY_BATCH = 5_000;

/** Appends to, reads and verifies the hash-chained ledger. */
@Injectable()
export class LedgerService {
  constructor(@InjectRepository(LedgerEntry) private readonly entries: Repository<LedgerEntry>) {}

  /**
   * Appends entries inside the caller's transaction. The transaction-scoped advisory lock
   * serialises appenders until commit, so the chain has no forks and seq has no gaps.
   */
  async append(manager: EntityManager, drafts: LedgerDraft[]): Promise<LedgerEntry[]> {
    if (drafts.length === 0) return [];
    await manager.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLock.Ledger]);
    return this.appendLocked(manager, drafts);
  }

  /**
   * Appends when the caller already holds {@link AdvisoryLock.Ledger} in this transaction (taken in
   * an earlier statement, so this one reads the head with a snapshot from after the lock).
   */
  async appendLocked(manager: EntityManager, drafts: LedgerDraft[]): Promise<LedgerEntry[]> {
    if (drafts.length === 0) return [];
    if (!manager.queryRunner?.isTransactionActive) throw new Error('ledger appends must run inside a transaction');
    const [head] = await manager.query('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
    let seq = head ? Number(head.seq) : 0;
    let prevHash: string = head ? head.hash : GENESIS_HASH;
    const ts = new Date().toISOString();
    const rows = drafts.map(redactSecrets).map((draft) => {
      const content: LedgerEntryContent = {
        seq: ++seq,
        ts,
        kind: draft.kind,
        actor: draft.actor,
        jobId: draft.jobId ?? null,
        conversationId: draft.conversationId ?? null,
        traceId: draft.traceId ?? null,
        summary: draft.summary,
        data: draft.data ?? {},
        prevHash,
      };
      const hash = hashLedgerEntry(content);
      prevHash = hash;
      return { ...content, hash };
    });
    await manager.query(
      `INSERT INTO ledger (seq, ts, kind, actor, job_id, conversation_id, trace_id, summary, data, prev_hash, hash)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(seq bigint, ts timestamptz, kind text, actor text, job_id uuid, conversation_id uuid,
                                                        trace_id uuid, summary text, data jsonb, prev_hash text, hash text)`,
      [
        JSON.stringify(
          rows.map((r) => ({
            seq: r.seq,
            ts: r.ts,
            kind: r.kind,
            actor: r.actor,
            job_id: r.jobId,
            conversation_id: r.conversationId,
            trace_id: r.traceId,
            summary: r.summary,
            data: r.data,
            prev_hash: r.prevHash,
            hash: r.hash,
          })),
        ),
      ],
    );
    return rows.map((row) => Object.assign(new LedgerEntry(), { ...row, ts: new Date(row.ts) }));
  }

  /** Entries in chain order, optionally of one job or kind. */
  async list(filter: { jobId?: string; kind?: string; limit: number; cursor?: string }): Promise<Page<LedgerEntry>> {
    const query = this.entries
      .createQueryBuilder('l')
      .orderBy('l.seq', 'ASC')
      .limit(filter.limit + 1);
    if (filter.jobId) query.andWhere('l.job_id = :jobId', { jobId: filter.jobId });
    if (filter.kind) query.andWhere('l.kind = :kind', { kind: filter.kind });
    if (filter.cursor) {
      const [after] = decodeCursor(filter.cursor, ['integer']);
      query.andWhere('l.seq > :after', { after: Number(after) });
    }
    const rows = await query.getMany();
    const items = rows.slice(0, filter.limit);
    return { items, nextCursor: rows.length > filter.limit ? encodeCursor([items[items.length - 1].seq]) : null };
  }

  /** Every entry of one job, in order. */
  forJob(jobId: string): Promise<LedgerEntry[]> {
    return this.entries.find({ where: { jobId }, order: { seq: 'ASC' } });
  }

  /** Walks the whole chain and reports the first entry whose link or hash does not hold. */
  async verify(): Promise<LedgerVerification> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const batch: LedgerEntry[] = await this.entries
        .createQueryBuilder('l')
        .where('l.seq >= :from', { from: expectedSeq })
        .orderBy('l.seq', 'ASC')
        .limit(VERIFY_BATCH)
        .getMany();
      for (const entry of batch) {
        const fail = (reason: string): LedgerVerification => ({
          ok: false,
          checked,
          headSeq: null,
          headHash: null,
          firstBadSeq: entry.seq,
          reason,
        });
        if (entry.seq !== expectedSeq) return { ...fail(`seq ${expectedSeq} is missing`), firstBadSeq: expectedSeq };
        if (entry.prevHash !== prevHash) return fail('prev_hash does not match the hash of the entry before it');
        const recomputed = hashLedgerEntry({
          seq: entry.seq,
          ts: entry.ts.toISOString(),
          kind: entry.kind,
          actor: entry.actor,
          jobId: entry.jobId,
          conversationId: entry.conversationId,
          traceId: entry.traceId,
          summary: entry.summary,
          data: entry.data,
          prevHash: entry.prevHash,
        });
        if (recomputed !== entry.hash) return fail('hash does not match the entry content');
        prevHash = entry.hash;
        expectedSeq++;
        checked++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    return {
      ok: true,
      checked,
      headSeq: checked > 0 ? expectedSeq - 1 : null,
      headHash: checked > 0 ? prevHash : null,
      firstBadSeq: null,
      reason: null,
    };
  }
}
