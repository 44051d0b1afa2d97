import { DomainException, ErrorKind } from '@app/common';

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

/** The one exception class of the ledger. */
export class LedgerException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: LedgerErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = LedgerException.kindOf(code);
  }

  private static kindOf(code: LedgerErrorCode): ErrorKind {
    switch (code) {
      case LedgerErrorCode.EntryNotFound:
      case LedgerErrorCode.TreeHeadNotFound:
        return 'not_found';
      case LedgerErrorCode.NotSequenced:
        return 'conflict';
      case LedgerErrorCode.InvalidRange:
        return 'validation';
      case LedgerErrorCode.SequencingTimeout:
        return 'unavailable';
      case LedgerErrorCode.NotInTransaction:
        return 'internal';
    }
  }
}
