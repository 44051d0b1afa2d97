import { Column, Entity, PrimaryColumn } from 'typeorm';
import { numberTransformer } from '@app/common';

/** One append-only, hash-chained audit entry. */
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

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash: string;

  @Column({ type: 'text' })
  hash: string;
}
