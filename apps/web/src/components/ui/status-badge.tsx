const LABELS: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting_human: 'Needs you',
  cancelling: 'Cancelling',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
};

/** A job status as a coloured pill. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
