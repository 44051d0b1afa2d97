import { MigrationInterface, QueryRunner } from 'typeorm';

/** What each worker says of itself (its sandbox state, ...), for readiness and metrics. */
export class WorkerFacts1764000000006 implements MigrationInterface {
  name = 'WorkerFacts1764000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workers ADD COLUMN facts jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workers DROP COLUMN facts`);
  }
}
