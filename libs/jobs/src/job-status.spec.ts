import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, canTransition, deriveStatus, isTerminal } from './job-status';

describe('job state machine', () => {
  it('allows exactly the transitions of the spec', () => {
    const allowed = JOB_STATUSES.flatMap((from) => JOB_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'queued→running',
        'queued→aborted',
        'running→succeeded',
        'running→failed',
        'running→waiting_human',
        'running→cancelling',
        'running→queued',
        'waiting_human→queued',
        'waiting_human→aborted',
        'cancelling→aborted',
        'failed→queued',
        'aborted→queued',
      ].sort(),
    );
  });

  it('treats succeeded, failed and aborted as terminal', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['succeeded', 'failed', 'aborted']);
  });

  it('re-derives a status from ledger entries and rejects a broken history', () => {
    const entry = (from: string | null, to: string) => ({ kind: 'job.status', data: { from, to } });
    expect(
      deriveStatus([entry(null, 'queued'), { kind: 'other', data: {} }, entry('queued', 'running'), entry('running', 'succeeded')]),
    ).toBe('succeeded');
    expect(deriveStatus([])).toBeNull();
    expect(() => deriveStatus([entry(null, 'queued'), entry('running', 'succeeded')])).toThrow(/was queued/);
    expect(() => deriveStatus([entry(null, 'queued'), entry('queued', 'succeeded')])).toThrow(/forbidden/);
  });
});
