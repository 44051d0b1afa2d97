/** Every status a job can be in. */
export const JOB_STATUSES = ['queued', 'running', 'waiting_human', 'cancelling', 'succeeded', 'failed', 'aborted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves on its own (only `retry` takes failed/aborted back to the queue). */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'aborted'];

/**
 * The state machine, in one place. `waiting_human → queued` is the resume after an answer: the
 * job holds no worker while it waits, so an answered job goes back to the queue to be claimed.
 */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'aborted'],
  running: ['succeeded', 'failed', 'waiting_human', 'cancelling', 'queued'],
  waiting_human: ['queued', 'aborted'],
  cancelling: ['aborted'],
  succeeded: [],
  failed: ['queued'],
  aborted: ['queued'],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses reachable from `from`. */
export function nextStatuses(from: JobStatus): readonly JobStatus[] {
  return TRANSITIONS[from];
}

/** Replays `job.status` ledger entries to the status they lead to; must equal `jobs.status`. */
export function deriveStatus(entries: { kind: string; data: Record<string, unknown> }[]): JobStatus | null {
  let status: JobStatus | null = null;
  for (const entry of entries) {
    if (entry.kind !== 'job.status') continue;
    const from = (entry.data.from ?? null) as JobStatus | null;
    const to = entry.data.to as JobStatus;
    if (from !== status) throw new Error(`ledger entry moves from ${from} but the job was ${status}`);
    if (from !== null && !canTransition(from, to)) throw new Error(`ledger records a forbidden transition ${from} → ${to}`);
    status = to;
  }
  return status;
}
