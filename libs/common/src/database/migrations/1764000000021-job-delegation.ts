import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delegated jobs. A job the chat Coordinator hands to the team (its `delegate` tool) records where
 * it came from: the Coordinator, the conversation and the message that asked for it, and the person
 * who sent that message.
 */
export class JobDelegation1764000000021 implements MigrationInterface {
  name = 'JobDelegation1764000000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN delegation jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN delegation`);
  }
}
