import { Hash, NodeId, NodeReader, nodeKey } from './merkle';
import { LedgerLeafContent } from './ledger-hash';
import { SignedTreeHead } from './tree-head';

/** Runs one SQL statement and gives its rows: a pg client, pool or a TypeORM manager, adapted. */
export type Sql = (text: string, params?: unknown[]) => Promise<Record<string, any>[]>;

/** Channel the sequencer notifies with the new tree size after each batch. */
export const TREE_HEAD_CHANNEL = 'ledger_tree_head';

/** The entry columns, as stored. */
export const ENTRY_COLUMNS = 'seq, ts, kind, actor, job_id, conversation_id, trace_id, summary, data, prev_hash, hash, leaf_index';

/** An entry row as the leaf hash needs it. */
export function leafContentOf(row: Record<string, any>): LedgerLeafContent {
  return {
    seq: Number(row.seq),
    ts: (row.ts instanceof Date ? row.ts : new Date(row.ts)).toISOString(),
    kind: row.kind,
    actor: row.actor,
    jobId: row.job_id ?? null,
    conversationId: row.conversation_id ?? null,
    traceId: row.trace_id ?? null,
    summary: row.summary,
    data: row.data,
    prevHash: row.prev_hash ?? null,
    hash: row.hash ?? null,
  };
}

/** A tree-head row as the API and verifiers see it. */
export function treeHeadOf(row: Record<string, any>): SignedTreeHead {
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
    const rows = await sql(
      `SELECT n.level, n.idx, n.hash FROM ledger_tree_nodes n
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [ids.map((id) => id.level), ids.map((id) => id.idx)],
    );
    return new Map(rows.map((r) => [nodeKey({ level: Number(r.level), idx: Number(r.idx) }), r.hash as Buffer]));
  };
}
