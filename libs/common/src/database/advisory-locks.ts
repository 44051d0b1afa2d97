/**
 * Keys of the PostgreSQL advisory locks the service takes. One place, so two features never pick
 * the same number by accident.
 */
export const AdvisoryLock = {
  /** Held while migrations run at boot, so replicas starting together migrate once. */
  Migrations: 71_000_001,
  // 71_000_002 serialised ledger appends before the Merkle log; not reused, so a process of an older
  // release that still takes it never waits on the sequencer's session lock.

  /** Transaction lock serialising event inserts, so event ids become visible in order. */
  Events: 71_000_003,
  /** Try-lock of the one reaper that requeues expired leases. */
  Reaper: 71_000_004,
  /** Try-lock of the one Watcher run at a time. */
  Watcher: 71_000_005,
  /** Try-lock of the workspace janitor. */
  Janitor: 71_000_006,
  /** Session lock of the one ledger sequencer across all processes (held on its own connection). */
  LedgerSequencer: 71_000_007,
} as const;
