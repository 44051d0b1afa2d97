import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claiming orders queued jobs by priority then age across the modes a worker serves; an index led by
 * mode cannot serve `mode = ANY(...)` in that order, so the planner sorted the whole queue. This one
 * is read in claim order, with mode and run_after checked from the index itself.
 */
export class ClaimIndex1764000000001 implements MigrationInterface {
  name = 'ClaimIndex1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_claim_idx`);
    await q.query(`CREATE INDEX jobs_claim_idx ON jobs (priority DESC, created_at, id) INCLUDE (mode, run_after) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_claim_idx`);
    await q.query(`CREATE INDEX jobs_claim_idx ON jobs (mode, priority DESC, created_at, id) WHERE status = 'queued'`);
  }
}
