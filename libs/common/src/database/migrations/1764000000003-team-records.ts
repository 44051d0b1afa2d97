import { MigrationInterface, QueryRunner } from 'typeorm';

/** Provenance (TruthPacks), evaluations and Watcher insights. */
export class TeamRecords1764000000003 implements MigrationInterface {
  name = 'TeamRecords1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE truth_packs (
        job_id uuid PRIMARY KEY REFERENCES jobs (id),
        root text NOT NULL,
        size integer NOT NULL,
        pack jsonb NOT NULL,
        items jsonb NOT NULL,
        public_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`
      CREATE TABLE evaluations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_id uuid NOT NULL UNIQUE REFERENCES jobs (id),
        evaluator_job_id uuid REFERENCES jobs (id),
        correctness real NOT NULL CHECK (correctness BETWEEN 0 AND 1),
        efficiency real NOT NULL CHECK (efficiency BETWEEN 0 AND 1),
        honesty real NOT NULL CHECK (honesty BETWEEN 0 AND 1),
        safety real NOT NULL CHECK (safety BETWEEN 0 AND 1),
        overall real NOT NULL CHECK (overall BETWEEN 0 AND 1),
        flags jsonb NOT NULL DEFAULT '[]'::jsonb,
        feedback text NOT NULL DEFAULT '',
        measurements jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    // One evaluation job per job, however many workers see it end.
    await q.query(`CREATE UNIQUE INDEX jobs_one_evaluation_idx ON jobs (parent_job_id) WHERE agent_role = 'evaluator'`);
    await q.query(`
      CREATE TABLE insights (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        detector text NOT NULL,
        fingerprint text NOT NULL UNIQUE,
        title text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
        evidence jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX insights_created_idx ON insights (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE insights`);
    await q.query(`DROP INDEX jobs_one_evaluation_idx`);
    await q.query(`DROP TABLE evaluations`);
    await q.query(`DROP TABLE truth_packs`);
  }
}
