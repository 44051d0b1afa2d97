import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { numberTransformer } from '@app/common';

/** A chat session; it may carry a default repository for the tasks asked in it. */
@Entity('conversations')
export class Conversation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) title: string;
  @Column({ name: 'default_repo', type: 'text', nullable: true }) defaultRepo: string | null;
  /** What the chat Coordinator's own model calls in this conversation used (calls charged to jobs are not here). */
  @Column({ name: 'used_tokens', type: 'bigint', transformer: numberTransformer }) usedTokens: number;
  @Column({ name: 'used_cost_cents', type: 'numeric', transformer: numberTransformer }) usedCostCents: number;
  @Column({ name: 'model_calls', type: 'int' }) modelCalls: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
