import { Column, Entity, PrimaryColumn } from 'typeorm';
import { numberTransformer } from '@app/common';

/** One thing that happened, in order; its id is the SSE event id. */
@Entity('events')
export class EventRecord {
  // Inserted only by EventsService with raw SQL (bigserial); read as a number.
  @PrimaryColumn({ type: 'bigint', transformer: numberTransformer })
  id: number;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ name: 'trace_id', type: 'uuid', nullable: true })
  traceId: string | null;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId: string | null;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text', nullable: true })
  role: string | null;

  @Column({ type: 'text' })
  summary: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
