import { SignedTreeHead } from './tree-head';
import { LedgerEntry } from './entities/ledger-entry.entity';

/** Who did something: a person, an agent role, or the system itself. */
export type LedgerActor = 'user' | 'system' | 'worker' | `agent:${string}` | `token:${string}` | `webhook:${string}`;

/** What a caller hands to the ledger; the id and time are assigned on append, the leaf by the sequencer. */
export interface LedgerDraft {
  kind: string;
  actor: LedgerActor;
  summary: string;
  jobId?: string | null;
  conversationId?: string | null;
  traceId?: string | null;
  data?: Record<string, unknown>;
}

/** The outcome of recomputing the log. */
export interface LedgerVerification {
  ok: boolean;
  /** Entries whose leaves were recomputed before stopping. */
  checked: number;
  /** Id of the entry at the last leaf checked. */
  headSeq: number | null;
  /** Root hash of the latest signed tree head checked. */
  headHash: string | null;
  /** Size of the latest signed tree head checked. */
  treeSize: number;
  /** Signed tree heads whose root and signature were checked. */
  treeHeadsChecked: number;
  /** Committed entries the sequencer has not integrated yet (not covered by this check). */
  pending: number;
  firstBadSeq: number | null;
  reason: string | null;
}

/** A tree head a verifier already trusts (kept by a monitor): the log must still contain it. */
export interface TrustedTreeHead {
  treeSize: number;
  rootHash: string;
}

/** Proof that an entry is leaf `leafIndex` of the signed tree `treeHead`. */
export interface LedgerInclusionProof {
  entry: LedgerEntry;
  leafIndex: number;
  /** Hex SHA-256(0x00 || RFC 8785 JSON of the entry). */
  leafHash: string;
  treeHead: SignedTreeHead;
  /** Hex sibling hashes, nearest first (RFC 9162 §2.1.3). */
  auditPath: string[];
}

/** Proof that the tree of `from` is a prefix of the tree of `to`. */
export interface LedgerConsistencyProof {
  from: SignedTreeHead;
  to: SignedTreeHead;
  /** Hex hashes (RFC 9162 §2.1.4). */
  proof: string[];
}
