/** Who did something: a person, an agent role, or the system itself. */
export type LedgerActor = 'user' | 'system' | 'worker' | `agent:${string}` | `token:${string}` | `webhook:${string}`;

/** What a caller hands to the ledger; seq, time and hashes are assigned on append. */
export interface LedgerDraft {
  kind: string;
  actor: LedgerActor;
  summary: string;
  jobId?: string | null;
  conversationId?: string | null;
  traceId?: string | null;
  data?: Record<string, unknown>;
}

/** The outcome of walking the chain. */
export interface LedgerVerification {
  ok: boolean;
  checked: number;
  headSeq: number | null;
  headHash: string | null;
  firstBadSeq: number | null;
  reason: string | null;
}
