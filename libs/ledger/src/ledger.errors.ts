import { errorKinds } from '@app/common';

/** Error codes of the ledger. */
export enum LedgerErrorCode {
  /** No entry with that id. */
  EntryNotFound = 'ledger_entry_not_found',
  /** The entry exists but the sequencer has not given it a leaf yet (or not within the asked tree). */
  NotSequenced = 'ledger_entry_not_sequenced',
  /** No signed tree head of that size. */
  TreeHeadNotFound = 'ledger_tree_head_not_found',
  /** Sizes that cannot be compared (from > to). */
  InvalidRange = 'ledger_invalid_range',
  /** The sequencer did not integrate the awaited entries in time. */
  SequencingTimeout = 'ledger_sequencing_timeout',
  /** A ledger append outside a transaction. */
  NotInTransaction = 'ledger_not_in_transaction',
}

/** How the API treats each ledger error code (HTTP status by kind, mapped once in the global filter). */
export const LEDGER_ERROR_KINDS = errorKinds<LedgerErrorCode>({
  [LedgerErrorCode.EntryNotFound]: 'not_found',
  [LedgerErrorCode.TreeHeadNotFound]: 'not_found',
  [LedgerErrorCode.NotSequenced]: 'conflict',
  [LedgerErrorCode.InvalidRange]: 'validation',
  [LedgerErrorCode.SequencingTimeout]: 'unavailable',
  [LedgerErrorCode.NotInTransaction]: 'internal',
});
