import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A chat session; it may carry a default repository for the tasks asked in it. */
@Entity('conversations')
export class Conversation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) title: string;
  @Column({ name: 'default_repo', type: 'text', nullable: true }) defaultRepo: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
