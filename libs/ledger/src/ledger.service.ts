import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { decodeCursor, DomainException, encodeCursor, NotificationListener, Page, redactSecrets } from '@app/common';
import { SIGNING_KEY, SigningKey } from '@app/tdln';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { GENESIS_HASH, hashLedgerEntry, ledgerLeafHash } from './ledger-hash';
import { CompactRange, consistencyProof, inclusionProof } from './merkle';
import { LedgerErrorCode } from './ledger.errors';
import { LedgerSequencer } from './ledger-sequencer.service';
import { SignedTreeHead, treeHeadKeyId, verifyTreeHeadSignature } from './tree-head';
import { ENTRY_COLUMNS, EntryRow, Sql, TreeHeadRow, TREE_HEAD_CHANNEL, entryOf, leafContentOf, nodeReader, treeHeadOf } from './tree-store';
import { LedgerConsistencyProof, LedgerDraft, LedgerInclusionProof, LedgerVerification, TrustedTreeHead } from './ledger.types';

const VERIFY_BATCH = 5_000;
/** How long reads that need entries in the tree wait for the sequencer by default. */
const DEFAULT_WAIT_MS = 10_000;

/** A raw `pg` client (or pool) inside the caller's transaction. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Appends to, reads, proves and verifies the ledger, an append-only Merkle log (RFC 6962/9162).
 * Appends take no lock: entries get a leaf when the {@link LedgerSequencer} integrates them.
 */
@Injectable()
export class LedgerService {
  constructor(
    @InjectRepository(LedgerEntry) private readonly entries: Repository<LedgerEntry>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
    private readonly sequencer: LedgerSequencer,
    private readonly notifications: NotificationListener,
  ) {}

  /** Appends entries inside the caller's TypeORM transaction: one INSERT, no lock. */
  async append(manager: EntityManager, drafts: LedgerDraft[]): Promise<LedgerEntry[]> {
    if (drafts.length === 0) return [];
    if (!manager.queryRunner?.isTransactionActive) {
      throw new DomainException(LedgerErrorCode.NotInTransaction, 'ledger appends must run inside a transaction');
    }
    return this.insert((text, params) => manager.query(text, params), drafts);
  }

  /** Appends entries with a raw `pg` client, inside the transaction the caller has open on it: one INSERT, no lock. */
  async appendWith(client: PgQueryable, drafts: LedgerDraft[]): Promise<LedgerEntry[]> {
    if (drafts.length === 0) return [];
    return this.insert(async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[], drafts);
  }

  private async insert(sql: Sql, drafts: LedgerDraft[]): Promise<LedgerEntry[]> {
    const ts = new Date().toISOString();
    const rows = drafts.map(redactSecrets).map((d) => ({
      ts,
      kind: d.kind,
      actor: d.actor,
      job_id: d.jobId ?? null,
      conversation_id: d.conversationId ?? null,
      trace_id: d.traceId ?? null,
      summary: d.summary,
      data: d.data ?? {},
    }));
    // Ids come from the sequence in the order of the recordset's rows.
    const inserted = await sql<{ seq: string }>(
      `INSERT INTO ledger (ts, kind, actor, job_id, conversation_id, trace_id, summary, data)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ts timestamptz, kind text, actor text, job_id uuid, conversation_id uuid,
                                                        trace_id uuid, summary text, data jsonb)
       RETURNING seq`,
      [JSON.stringify(rows)],
    );
    const seqs = inserted.map((r) => Number(r.seq)).sort((a, b) => a - b);
    this.sequencer.nudge();
    return rows.map((r, i) => entryOf({ ...r, seq: seqs[i], prev_hash: null, hash: null, leaf_index: null }));
  }

  /** Entries in id order, optionally of one job or kind. */
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

  /**
   * Entries of one job and kind in id order, optionally strictly between two ids, optionally
   * only those whose `data` contains `dataContains` (JSON containment).
   */
  async ofJob(
    jobId: string,
    filter: {
      kind: string;
      afterSeq?: number;
      beforeSeq?: number;
      dataContains?: Record<string, unknown>;
      newestFirst?: boolean;
      limit?: number;
    },
  ): Promise<LedgerEntry[]> {
    const rows = await this.dataSource.query(
      `SELECT ${ENTRY_COLUMNS} FROM ledger
        WHERE job_id = $1 AND kind = $2 AND seq > $3 AND seq < $4 AND data @> $5::jsonb
        ORDER BY seq ${filter.newestFirst ? 'DESC' : 'ASC'} ${filter.limit ? 'LIMIT ' + Math.floor(filter.limit) : ''}`,
      [jobId, filter.kind, filter.afterSeq ?? 0, filter.beforeSeq ?? Number.MAX_SAFE_INTEGER, JSON.stringify(filter.dataContains ?? {})],
    );
    return rows.map(entryOf);
  }

  /** The server's tree-head verification key. */
  publicKey(): { algorithm: 'ed25519'; publicKey: string; keyId: string } {
    return { algorithm: 'ed25519', publicKey: this.key.publicKey, keyId: treeHeadKeyId(this.key.publicKey) };
  }

  /** The latest signed tree head; null before the sequencer's first batch. */
  async latestTreeHead(): Promise<SignedTreeHead | null> {
    const [row] = await this.dataSource.query('SELECT * FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1');
    return row ? treeHeadOf(row) : null;
  }

  /** Resolves with the latest signed tree head once it covers at least `size` leaves. */
  async waitForSequenced(size: number, timeoutMs = DEFAULT_WAIT_MS): Promise<SignedTreeHead | null> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    const off = this.notifications.on(TREE_HEAD_CHANNEL, () => wake());
    try {
      for (;;) {
        const head = await this.latestTreeHead();
        if ((head?.treeSize ?? 0) >= size) return head;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new DomainException(
            LedgerErrorCode.SequencingTimeout,
            `the ledger sequencer did not reach ${size} leaves within ${timeoutMs} ms`,
            {
              treeSize: head?.treeSize ?? 0,
              wanted: size,
            },
          );
        }
        this.sequencer.nudge();
        // A notification wakes this at once; the poll covers a LISTEN connection that is down.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 100));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      off();
    }
  }

  /** Waits until every entry committed before the call has a leaf; gives the tree head then. */
  async waitForCommitted(timeoutMs = DEFAULT_WAIT_MS): Promise<SignedTreeHead | null> {
    // One statement, one snapshot: the signed size plus what is still waiting at that instant.
    const [row] = await this.dataSource.query(
      `SELECT COALESCE((SELECT max(tree_size) FROM ledger_tree_heads), 0) + (SELECT count(*) FROM ledger WHERE leaf_index IS NULL) AS target`,
    );
    return this.waitForSequenced(Number(row.target), timeoutMs);
  }

  /**
   * The first signed tree head that includes every entry the job has so far (waiting for the
   * sequencer when needed); null when the job has no entries.
   */
  async treeHeadForJob(jobId: string, timeoutMs = DEFAULT_WAIT_MS): Promise<SignedTreeHead | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await this.dataSource.query(
        `SELECT count(*) FILTER (WHERE leaf_index IS NULL)::int AS pending, max(leaf_index) AS last FROM ledger WHERE job_id = $1`,
        [jobId],
      );
      if (row.pending === 0) {
        if (row.last === null) return null;
        await this.waitForSequenced(Number(row.last) + 1, Math.max(0, deadline - Date.now()));
        const [head] = await this.dataSource.query('SELECT * FROM ledger_tree_heads WHERE tree_size > $1 ORDER BY tree_size LIMIT 1', [
          Number(row.last),
        ]);
        return treeHeadOf(head);
      }
      const [signed] = await this.dataSource.query('SELECT COALESCE(max(tree_size), 0) AS n FROM ledger_tree_heads');
      // Any next batch takes the job's pending entries (they are committed, and batches go in id order).
      await this.waitForSequenced(Number(signed.n) + 1, Math.max(0, deadline - Date.now()));
    }
  }

  private async treeHeadOfSize(size: number): Promise<SignedTreeHead> {
    const [row] = await this.dataSource.query('SELECT * FROM ledger_tree_heads WHERE tree_size = $1', [size]);
    if (!row) throw new DomainException(LedgerErrorCode.TreeHeadNotFound, `no signed tree head of size ${size}`, { size });
    return treeHeadOf(row);
  }

  /** Proof that entry `seq` is in the signed tree of `size` leaves (the latest when omitted). */
  async proveInclusion(seq: number, size?: number): Promise<LedgerInclusionProof> {
    const find = async () => (await this.dataSource.query(`SELECT ${ENTRY_COLUMNS} FROM ledger WHERE seq = $1`, [seq]))[0];
    let row = await find();
    if (!row) throw new DomainException(LedgerErrorCode.EntryNotFound, `no ledger entry ${seq}`, { seq });
    if (row.leaf_index === null && size === undefined) {
      await this.waitForCommitted(2_000).catch(() => undefined);
      row = await find();
    }
    if (row.leaf_index === null) throw new DomainException(LedgerErrorCode.NotSequenced, `ledger entry ${seq} has no leaf yet`, { seq });
    const leafIndex = Number(row.leaf_index);
    const treeHead = size === undefined ? (await this.latestTreeHead())! : await this.treeHeadOfSize(size);
    if (leafIndex >= treeHead.treeSize) {
      throw new DomainException(
        LedgerErrorCode.NotSequenced,
        `ledger entry ${seq} is leaf ${leafIndex}, not in the tree of ${treeHead.treeSize}`,
        {
          seq,
          leafIndex,
          size: treeHead.treeSize,
        },
      );
    }
    const path = await inclusionProof(
      leafIndex,
      treeHead.treeSize,
      nodeReader((t, p) => this.dataSource.query(t, p)),
    );
    return {
      entry: entryOf(row),
      leafIndex,
      leafHash: ledgerLeafHash(leafContentOf(row)).toString('hex'),
      treeHead,
      auditPath: path.map((h) => h.toString('hex')),
    };
  }

  /** Proof that the signed tree of `from` leaves is a prefix of the signed tree of `to` leaves. */
  async proveConsistency(from: number, to: number): Promise<LedgerConsistencyProof> {
    if (from > to) throw new DomainException(LedgerErrorCode.InvalidRange, `from (${from}) must not exceed to (${to})`, { from, to });
    const [a, b] = await Promise.all([this.treeHeadOfSize(from), this.treeHeadOfSize(to)]);
    const proof = await consistencyProof(
      from,
      to,
      nodeReader((t, p) => this.dataSource.query(t, p)),
    );
    return { from: a, to: b, proof: proof.map((h) => h.toString('hex')) };
  }

  /**
   * Recomputes every leaf from its entry and every signed tree head from the leaves, streaming in
   * batches over one snapshot (memory stays flat: the tree is carried as its O(log n) frontier).
   * Entries chained before the log have their chain checked as before. Stops at the first problem.
   * A `trusted` head (kept by a monitor) must still be in the log with the same root.
   */
  async verify(options: { trusted?: TrustedTreeHead; waitMs?: number } = {}): Promise<LedgerVerification> {
    await this.waitForCommitted(options.waitMs ?? 5_000).catch(() => undefined);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await this.verifySnapshot((t, p) => runner.query(t, p), options.trusted);
      await runner.query('COMMIT');
      return result;
    } finally {
      if (runner.isTransactionActive) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  private async verifySnapshot(sql: Sql, trusted?: TrustedTreeHead): Promise<LedgerVerification> {
    const [{ pending }] = await sql('SELECT count(*)::int AS pending FROM ledger WHERE leaf_index IS NULL');
    const range = CompactRange.empty();
    const publicKey = this.key.publicKey;
    const serverKeyId = treeHeadKeyId(publicKey);
    let checked = 0;
    let headSeq: number | null = null;
    let lastHead: SignedTreeHead | null = null;
    let treeHeadsChecked = 0;
    // Entries chained before the log: a prefix of the leaves, seq 1, 2, 3… each linked to the one before.
    let chainOpen = true;
    let chainSeq = 1;
    let chainPrev = GENESIS_HASH;
    // Id of the first entry after the last tree head that held: where a bad root points.
    let firstUnconfirmedSeq: number | null = null;
    const heads = this.streamTreeHeads(sql);
    let nextHead = await heads.next();

    const result = (firstBadSeq: number | null, reason: string | null): LedgerVerification => ({
      ok: reason === null,
      checked,
      headSeq,
      headHash: lastHead?.rootHash ?? null,
      treeSize: lastHead?.treeSize ?? 0,
      treeHeadsChecked,
      pending,
      firstBadSeq,
      reason,
    });
    const checkHead = (head: SignedTreeHead): string | null => {
      if (head.keyId !== serverKeyId)
        return `tree head ${head.treeSize} is signed by key ${head.keyId}, not the server's key ${serverKeyId}`;
      if (!verifyTreeHeadSignature(head, publicKey))
        return `tree head ${head.treeSize} does not carry a valid signature of the server's key`;
      if (lastHead && Date.parse(head.timestamp) < Date.parse(lastHead.timestamp)) {
        return `tree head ${head.treeSize} is dated before tree head ${lastHead.treeSize}: tree heads were rolled back or forged`;
      }
      if (range.root().toString('hex') !== head.rootHash) {
        return `tree head ${head.treeSize} does not match the entries: an entry after tree head ${lastHead?.treeSize ?? 0} was rewritten with its leaf hash`;
      }
      return null;
    };

    for (let from = 0; ;) {
      const batch = await sql<EntryRow & { stored_leaf: Buffer | null }>(
        `SELECT ${ENTRY_COLUMNS.split(', ')
          .map((c) => `l.${c}`)
          .join(', ')}, n.hash AS stored_leaf
           FROM ledger l LEFT JOIN ledger_tree_nodes n ON n.level = 0 AND n.idx = l.leaf_index
          WHERE l.leaf_index >= $1 ORDER BY l.leaf_index LIMIT $2`,
        [from, VERIFY_BATCH],
      );
      for (const row of batch) {
        const seq = Number(row.seq);
        const leafIndex = Number(row.leaf_index);
        if (leafIndex !== range.size) return result(null, `leaf ${range.size} is missing: its entry was deleted`);
        const content = leafContentOf(row);
        if (content.prevHash !== null) {
          if (!chainOpen) return result(seq, 'a hash-chained entry after the chain ended');
          if (seq !== chainSeq) return result(chainSeq, `seq ${chainSeq} is missing`);
          if (content.prevHash !== chainPrev) return result(seq, 'prev_hash does not match the hash of the entry before it');
          const { hash, prevHash, ...rest } = content;
          if (hashLedgerEntry({ ...rest, prevHash }) !== hash) return result(seq, 'hash does not match the entry content');
          chainPrev = hash!;
          chainSeq++;
        } else {
          chainOpen = false;
        }
        const leaf = ledgerLeafHash(content);
        if (!row.stored_leaf) return result(seq, `leaf ${leafIndex} has no stored hash`);
        if (!leaf.equals(row.stored_leaf))
          return result(seq, 'the entry does not match its leaf hash: it was changed after it was sequenced');
        range.append(leaf);
        checked++;
        headSeq = seq;
        firstUnconfirmedSeq ??= seq;
        if (trusted && trusted.treeSize === range.size && range.root().toString('hex') !== trusted.rootHash) {
          return result(null, `the log's tree of ${trusted.treeSize} leaves does not have the trusted root: history was rewritten`);
        }
        while (nextHead && nextHead.treeSize === range.size) {
          const problem = checkHead(nextHead);
          if (problem) return result(firstUnconfirmedSeq, problem);
          lastHead = nextHead;
          treeHeadsChecked++;
          firstUnconfirmedSeq = null;
          nextHead = await heads.next();
        }
      }
      if (batch.length < VERIFY_BATCH) break;
      from = range.size;
    }
    if (nextHead)
      return result(
        null,
        `tree head ${nextHead.treeSize} covers leaves that are missing (the log holds ${range.size}): entries were deleted`,
      );
    if (range.size > (lastHead?.treeSize ?? 0)) {
      return result(
        firstUnconfirmedSeq,
        `leaves ${lastHead?.treeSize ?? 0}..${range.size - 1} are covered by no signed tree head: tree heads were removed or leaves forged`,
      );
    }
    if (trusted && trusted.treeSize > range.size) {
      return result(null, `the log holds ${range.size} leaves, fewer than the trusted tree head's ${trusted.treeSize}: it was rolled back`);
    }
    return result(null, null);
  }

  /** Signed tree heads in size order, fetched a batch at a time. */
  private streamTreeHeads(sql: Sql): { next(): Promise<SignedTreeHead | null> } {
    let buffer: SignedTreeHead[] = [];
    let after = 0;
    let done = false;
    return {
      next: async () => {
        if (buffer.length === 0 && !done) {
          const rows = await sql<TreeHeadRow>('SELECT * FROM ledger_tree_heads WHERE tree_size > $1 ORDER BY tree_size LIMIT $2', [
            after,
            VERIFY_BATCH,
          ]);
          buffer = rows.map(treeHeadOf);
          done = rows.length < VERIFY_BATCH;
          if (buffer.length > 0) after = buffer[buffer.length - 1].treeSize;
        }
        return buffer.shift() ?? null;
      },
    };
  }
}
