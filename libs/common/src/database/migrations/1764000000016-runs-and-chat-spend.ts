import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runs and chat spend. A job counts its runs (a retry starts the next one), and each run gets an
 * evaluation of its own: one evaluator job and one evaluation per run, earlier ones kept. A
 * conversation carries what the chat Coordinator's own model calls used and have reserved (its
 * budget); those calls are `model_call` events without a job, indexed by time for the metrics.
 */
export class RunsAndChatSpend1764000000016 implements MigrationInterface {
  name = 'RunsAndChatSpend1764000000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN run integer NOT NULL DEFAULT 1 CHECK (run >= 1)`);
    await q.query(`DROP INDEX jobs_one_evaluation_idx`);
    await q.query(`CREATE UNIQUE INDEX jobs_one_evaluation_idx ON jobs (parent_job_id, run) WHERE agent_role = 'evaluator'`);
    await q.query(`ALTER TABLE evaluations ADD COLUMN run integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE evaluations DROP CONSTRAINT evaluations_job_id_key`);
    await q.query(`ALTER TABLE evaluations ADD CONSTRAINT evaluations_job_run_key UNIQUE (job_id, run)`);
    await q.query(`
      ALTER TABLE conversations
        ADD COLUMN used_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN used_cost_cents numeric NOT NULL DEFAULT 0,
        ADD COLUMN reserved_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN reserved_cost_cents numeric NOT NULL DEFAULT 0,
        ADD COLUMN model_calls integer NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX events_chat_model_calls_idx ON events (created_at) WHERE type = 'model_call' AND job_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_chat_model_calls_idx`);
    await q.query(`
      ALTER TABLE conversations
        DROP COLUMN used_tokens, DROP COLUMN used_cost_cents, DROP COLUMN reserved_tokens, DROP COLUMN reserved_cost_cents,
        DROP COLUMN model_calls`);
    await q.query(`DELETE FROM evaluations e WHERE run < (SELECT max(run) FROM evaluations l WHERE l.job_id = e.job_id)`);
    await q.query(`ALTER TABLE evaluations DROP CONSTRAINT evaluations_job_run_key`);
    await q.query(`ALTER TABLE evaluations ADD CONSTRAINT evaluations_job_id_key UNIQUE (job_id)`);
    await q.query(`ALTER TABLE evaluations DROP COLUMN run`);
    await q.query(`DROP INDEX jobs_one_evaluation_idx`);
    await q.query(`ALTER TABLE jobs DROP COLUMN run`);
    // Fails when a retried job was evaluated again (two evaluator jobs for one job): nothing to go back to then.
    await q.query(`CREATE UNIQUE INDEX jobs_one_evaluation_idx ON jobs (parent_job_id) WHERE agent_role = 'evaluator'`);
  }
}
