import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { Logger } from 'pino';
import { APP_CONFIG, AdvisoryLock, AppConfig, LOGGER } from '@app/common';
import { SIGNING_KEY, SigningKey } from '@app/tdln';
import { CompactRange, frontierIds, nodeKey } from './merkle';
import { ledgerLeafHash } from './ledger-hash';
import { signTreeHead, treeHeadKeyId } from './tree-head';
import { ENTRY_COLUMNS, EntryRow, Sql, TREE_HEAD_CHANNEL, leafContentOf, nodeReader } from './tree-store';

/** Why the sequencer will not extend the tree: what it found stored does not match the latest signed head. */
export class TreeStateMismatch extends Error {}

/**
 * The one sequencer of the cluster. Every process runs a candidate; the one holding the session
 * advisory lock on its own connection leads, and when it dies (or its connection does) the lock goes
 * with it and another candidate takes over within `LEDGER_LEADER_RETRY_MS`. The leader integrates
 * committed entries without a leaf, in id order, in batches: it gives them the next leaf indexes,
 * extends the tree from its right frontier (O(log n) per leaf), and stores the new subtrees and a
 * signed tree head in the same statement on the lock's connection, so a leader that loses its
 * connection loses its batch too.
 */
@Injectable()
export class LedgerSequencer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private client: Client | null = null;
  private leading = false;
  private range: CompactRange | null = null;
  private closing = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private refused: string | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'ledger-sequencer' });
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.nudge();
    await this.loop;
  }

  /** True while this process leads. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Looks for new entries now rather than at the next tick (when this process leads). */
  nudge(): void {
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  private async run(): Promise<void> {
    const { sequenceIntervalMs, leaderRetryMs } = this.config.ledger;
    let failures = 0;
    while (!this.closing) {
      try {
        if (!this.leading) {
          await this.tryLead();
          if (!this.leading) {
            await this.sleep(leaderRetryMs);
            continue;
          }
        }
        const full = await this.integrate();
        failures = 0;
        if (!full) await this.sleep(sequenceIntervalMs);
      } catch (error) {
        failures++;
        if (!this.closing) {
          const message = (error as Error).message;
          if (error instanceof TreeStateMismatch) {
            if (this.refused !== message) this.logger.error({ err: message }, 'the ledger sequencer will not lead from this process');
            this.refused = message;
          } else if (failures === 1) this.logger.warn({ err: message }, 'ledger sequencer lost its connection or failed a batch; retrying');
        }
        await this.drop();
        if (!this.closing) await this.sleep(Math.min(leaderRetryMs, 50 * 2 ** Math.min(failures, 6)));
      }
    }
    await this.drop();
  }

  private async drop(): Promise<void> {
    this.leading = false;
    this.range = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private sql(): Sql {
    const client = this.client!;
    return async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[];
  }

  private async tryLead(): Promise<void> {
    if (!this.client) {
      const client = new Client({
        connectionString: this.config.database.url,
        application_name: 'aict-ledger-sequencer',
        connectionTimeoutMillis: 5_000,
      });
      // An error on an idle connection is reported at the next query; without a listener it would crash the process.
      client.on('error', () => undefined);
      await client.connect();
      this.client = client;
    }
    const [row] = await this.sql()('SELECT pg_try_advisory_lock($1) AS locked', [AdvisoryLock.LedgerSequencer]);
    if (!row.locked) return;
    this.leading = true;
    this.range = await this.loadFrontier();
    this.refused = null;
    this.logger.info({ treeSize: this.range.size }, 'leading the ledger sequencer');
  }

  /** The frontier of the stored tree, checked against the latest signed tree head before anything is built on it. */
  private async loadFrontier(): Promise<CompactRange> {
    const sql = this.sql();
    const [head] = await sql('SELECT tree_size, root_hash, key_id FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1');
    const keyId = treeHeadKeyId(this.key.publicKey);
    if (head && head.key_id !== keyId) {
      // Another process with the right key will take over; this one would sign heads no verifier trusts.
      throw new TreeStateMismatch(
        `this process signs with key ${keyId} but the log's tree heads with ${head.key_id}: give every process the same TRUTHPACK_SIGNING_KEY (or keys directory)`,
      );
    }
    const [leaves] = await sql('SELECT COALESCE(max(idx) + 1, 0) AS n FROM ledger_tree_nodes WHERE level = 0');
    const size = Number(leaves.n);
    const signed = head ? Number(head.tree_size) : 0;
    if (size !== signed) {
      throw new TreeStateMismatch(`the tree holds ${size} leaves but the latest signed tree head covers ${signed}`);
    }
    const ids = frontierIds(size);
    const stored = await nodeReader(sql)(ids);
    const range = CompactRange.of(
      size,
      ids.map((id) => {
        const hash = stored.get(nodeKey(id));
        if (!hash) throw new TreeStateMismatch(`tree node ${nodeKey(id)} is missing`);
        return hash;
      }),
    );
    if (head && range.root().toString('hex') !== head.root_hash) {
      throw new TreeStateMismatch(`the stored tree of ${size} leaves does not have the root of the signed tree head`);
    }
    return range;
  }

  /** Integrates one batch; true when it was full (more may be waiting). */
  private async integrate(): Promise<boolean> {
    const sql = this.sql();
    const batch = this.config.ledger.sequenceBatch;
    const rows = await sql<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger WHERE leaf_index IS NULL ORDER BY seq LIMIT $1`, [batch]);
    if (rows.length === 0) return false;
    const range = this.range!;
    const start = range.size;
    const levels: number[] = [];
    const idxs: number[] = [];
    const hashes: string[] = [];
    for (const row of rows) {
      for (const node of range.append(ledgerLeafHash(leafContentOf(row)))) {
        levels.push(node.level);
        idxs.push(node.idx);
        hashes.push(node.hash.toString('hex'));
      }
    }
    const head = signTreeHead(
      { treeSize: range.size, rootHash: range.root().toString('hex'), timestamp: new Date().toISOString() },
      this.key,
    );
    try {
      await sql(
        `WITH leaves AS (
           UPDATE ledger SET leaf_index = x.leaf FROM unnest($1::bigint[], $2::bigint[]) AS x(seq, leaf)
            WHERE ledger.seq = x.seq AND ledger.leaf_index IS NULL RETURNING 1
         ), nodes AS (
           INSERT INTO ledger_tree_nodes (level, idx, hash)
           SELECT level, idx, decode(hash, 'hex') FROM unnest($3::smallint[], $4::bigint[], $5::text[]) AS n(level, idx, hash) RETURNING 1
         ), head AS (
           INSERT INTO ledger_tree_heads (tree_size, root_hash, ts, key_id, signature)
           -- A batch whose entries were not all still unsequenced fails whole: a NULL size breaks the primary key.
           SELECT CASE WHEN (SELECT count(*) FROM leaves) = $11 THEN $6::bigint END, $7, $8, $9, $10 RETURNING tree_size
         )
         SELECT pg_notify('${TREE_HEAD_CHANNEL}', tree_size::text) FROM head`,
        [
          rows.map((r) => r.seq),
          rows.map((_, i) => start + i),
          levels,
          idxs,
          hashes,
          head.treeSize,
          head.rootHash,
          head.timestamp,
          head.keyId,
          head.signature,
          rows.length,
        ],
      );
    } catch (error) {
      // The in-memory frontier is ahead of what is stored: rebuild it from the database.
      this.range = null;
      throw error;
    }
    return rows.length === batch;
  }
}
