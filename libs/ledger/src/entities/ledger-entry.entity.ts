import { Column, Entity, PrimaryColumn } from 'typeorm';
import { numberTransformer } from '@app/common';

/** One append-only audit entry; a leaf of the Merkle log once the sequencer has given it an index. */
@Entity('ledger')
export class LedgerEntry {
  @PrimaryColumn({ type: 'bigint', transformer: numberTransformer })
  seq: number;

  @Column({ type: 'timestamptz' })
  ts: Date;

  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  actor: string;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId: string | null;

  @Column({ name: 'trace_id', type: 'uuid', nullable: true })
  traceId: string | null;

  @Column({ type: 'text' })
  summary: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  /** Chain hash of the entry before it: set only on entries chained before the Merkle log. */
  @Column({ name: 'prev_hash', type: 'text', nullable: true })
  prevHash: string | null;

  /** Chain hash of the entry: set only on entries chained before the Merkle log. */
  @Column({ type: 'text', nullable: true })
  hash: string | null;

  /** Position in the Merkle log; null until the sequencer integrates the entry. */
  @Column({ name: 'leaf_index', type: 'bigint', nullable: true, transformer: numberTransformer })
  leafIndex: number | null;
}
