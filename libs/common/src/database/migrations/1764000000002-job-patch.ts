import { MigrationInterface, QueryRunner } from 'typeorm';

/** The patch a job produced and the branch it lives on, served at GET /api/jobs/{id}/diff. */
export class JobPatch1764000000002 implements MigrationInterface {
  name = 'JobPatch1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN patch text, ADD COLUMN branch text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN patch, DROP COLUMN branch`);
  }
}
