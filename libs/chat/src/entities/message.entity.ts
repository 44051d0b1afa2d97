import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MessageRole = 'user' | 'assistant' | 'system';

/** One chat message; assistant and system messages may point at a job. */
@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'conversation_id', type: 'uuid' }) conversationId: string;
  @Column({ type: 'text' }) role: MessageRole;
  @Column({ type: 'text' }) content: string;
  @Column({ name: 'job_id', type: 'uuid', nullable: true }) jobId: string | null;
  @Column({ type: 'jsonb' }) data: Record<string, unknown>;
  @Column({ name: 'dedupe_key', type: 'text', nullable: true, select: false }) dedupeKey: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
