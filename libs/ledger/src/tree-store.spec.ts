import { describe, expect, it } from 'vitest';
import { entryOf, leafContentOf } from './tree-store';

describe('an entry row as the API shows it and as its leaf hashes it', () => {
  const row = {
    seq: '7',
    ts: new Date('2026-12-05T10:00:00Z'),
    kind: 'job.status',
    actor: 'system',
    job_id: null,
    conversation_id: 'c0ffee00-0000-4000-8000-000000000000',
    trace_id: null,
    summary: 'queued → running',
    data: { to: 'running' },
    prev_hash: null,
    hash: null,
    leaf_index: '3',
  };

  it('hashes exactly the entry without its leaf index, its time as ISO text', () => {
    expect(leafContentOf(row as never)).toStrictEqual({
      seq: 7,
      ts: '2026-12-05T10:00:00.000Z',
      kind: 'job.status',
      actor: 'system',
      jobId: null,
      conversationId: 'c0ffee00-0000-4000-8000-000000000000',
      traceId: null,
      summary: 'queued → running',
      data: { to: 'running' },
      prevHash: null,
      hash: null,
    });
    expect(entryOf(row as never)).toMatchObject({ seq: 7, leafIndex: 3 });
  });
});
