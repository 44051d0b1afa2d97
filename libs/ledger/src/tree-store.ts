import { Hash, NodeId, NodeReader, nodeKey } from './merkle';
import { LedgerLeafContent } from './ledger-hash';
import { SignedTreeHead } from './tree-head';
import { LedgerEntry } from './entities/ledger-entry.entity';

/** Runs one SQL statement and gives its rows: a pg client, pool or a TypeORM manager, adapted. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed by each caller's type argument
export type Sql = <T = any>(text: string, params?: unknown[]) => Promise<T[]>;

/** An entry row as stored (bigints arrive as strings). */
export interface EntryRow {
  seq: string | number;
  ts: Date | string;
  kind: string;
  actor: string;
  job_id: string | null;
  conversation_id: string | null;
  trace_id: string | null;
  summary: string;
  data: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
  leaf_index: string | number | null;
}

/** A tree-head row as stored. */
export interface TreeHeadRow {
  tree_size: string | number;
  root_hash: string;
  ts: Date | string;
  key_id: string;
  signature: string;
}

/** Channel the sequencer notifies with the new tree size after each batch. */
export const TREE_HEAD_CHANNEL = 'ledger_tree_head';

/** The entry columns, as stored. */
export const ENTRY_COLUMNS = 'seq, ts, kind, actor, job_id, conversation_id, trace_id, summary, data, prev_hash, hash, leaf_index';

export function entryOf(row: EntryRow): LedgerEntry {
  return Object.assign(new LedgerEntry(), {
    seq: Number(row.seq),
    ts: row.ts instanceof Date ? row.ts : new Date(row.ts),
    kind: row.kind,
    actor: row.actor,
    jobId: row.job_id ?? null,
    conversationId: row.conversation_id ?? null,
    traceId: row.trace_id ?? null,
    summary: row.summary,
    data: row.data,
    prevHash: row.prev_hash ?? null,
    hash: row.hash ?? null,
    leafIndex: row.leaf_index === null || row.leaf_index === undefined ? null : Number(row.leaf_index),
  });
}

/** An entry row as the leaf hash needs it: the entry without its leaf index, its time as ISO text. */
export function leafContentOf(row: EntryRow): LedgerLeafContent {
  const { leafIndex: _leafIndex, ts, ...content } = entryOf(row);
  return { ...content, ts: ts.toISOString() };
}

/** A tree-head row as the API and verifiers see it. */
export function treeHeadOf(row: TreeHeadRow): SignedTreeHead {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash,
    timestamp: (row.ts instanceof Date ? row.ts : new Date(row.ts)).toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}

/** Reads stored perfect subtrees in one statement. */
export function nodeReader(sql: Sql): NodeReader {
  return async (ids: NodeId[]) => {
    if (ids.length === 0) return new Map<string, Hash>();
    const rows = await sql<{ level: number; idx: string; hash: Buffer }>(
      `SELECT n.level, n.idx, n.hash FROM ledger_tree_nodes n
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [ids.map((id) => id.level), ids.map((id) => id.idx)],
    );
    return new Map(rows.map((r) => [nodeKey({ level: Number(r.level), idx: Number(r.idx) }), r.hash]));
  };
}
