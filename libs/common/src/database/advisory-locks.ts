/**
 * Keys of the PostgreSQL advisory locks the service takes. One place, so two features never pick
 * the same number by accident.
 */
export const AdvisoryLock = {
  /** Held while migrations run at boot, so replicas starting together migrate once. */
  Migrations: 71_000_001,
  /** Transaction lock serialising ledger appends, so the hash chain never forks. */
  Ledger: 71_000_002,
  /** Transaction lock serialising event inserts, so event ids become visible in order. */
  Events: 71_000_003,
  /** Try-lock of the one reaper that requeues expired leases. */
  Reaper: 71_000_004,
  /** Try-lock of the one Watcher run at a time. */
  Watcher: 71_000_005,
  /** Try-lock of the workspace janitor. */
  Janitor: 71_000_006,
} as const;
