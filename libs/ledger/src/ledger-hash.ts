import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { leafHash } from './merkle';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of an entry: everything but the hash itself. */
export interface LedgerEntryContent {
  seq: number;
  ts: string;
  kind: string;
  actor: string;
  jobId: string | null;
  conversationId: string | null;
  traceId: string | null;
  summary: string;
  data: Record<string, unknown>;
  prevHash: string;
}

/** RFC 8785 canonical JSON of a value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** `SHA-256(prev_hash || canonical_json(entry without hash))`, hex. */
export function hashLedgerEntry(content: LedgerEntryContent): string {
  return createHash('sha256').update(content.prevHash, 'utf8').update(canonicalJson(content), 'utf8').digest('hex');
}

/** What a leaf of the Merkle log commits to: the entry, and for entries from before the log, their chain hashes. */
export interface LedgerLeafContent {
  seq: number;
  ts: string;
  kind: string;
  actor: string;
  jobId: string | null;
  conversationId: string | null;
  traceId: string | null;
  summary: string;
  data: Record<string, unknown>;
  prevHash: string | null;
  hash: string | null;
}

/** The leaf data of an entry: RFC 8785 canonical JSON, chain hashes included only for chained (pre-log) entries. */
export function ledgerLeafData(entry: LedgerLeafContent): string {
  // Picked field by field: a view of the entry may carry more (its leaf index) that the leaf does not commit to.
  const content = {
    seq: entry.seq,
    ts: entry.ts,
    kind: entry.kind,
    actor: entry.actor,
    jobId: entry.jobId,
    conversationId: entry.conversationId,
    traceId: entry.traceId,
    summary: entry.summary,
    data: entry.data,
  };
  return canonicalJson(
    entry.prevHash === null && entry.hash === null ? content : { ...content, prevHash: entry.prevHash, hash: entry.hash },
  );
}

/** `SHA-256(0x00 || leaf data)`: the entry's leaf hash in the Merkle log. */
export function ledgerLeafHash(entry: LedgerLeafContent): Buffer {
  return leafHash(ledgerLeafData(entry));
}
