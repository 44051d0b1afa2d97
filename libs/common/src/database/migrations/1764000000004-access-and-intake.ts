import { MigrationInterface, QueryRunner } from 'typeorm';

/** Access tokens (and browser sessions made from them) stored hashed; webhook delivery ids for replay protection. */
export class AccessAndIntake1764000000004 implements MigrationInterface {
  name = 'AccessAndIntake1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('token', 'session')),
        name text NOT NULL,
        prefix text NOT NULL UNIQUE,
        hash text NOT NULL,
        scopes text[] NOT NULL,
        parent_id uuid REFERENCES access_tokens(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX access_tokens_parent ON access_tokens (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        source text NOT NULL,
        delivery_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        job_id uuid,
        PRIMARY KEY (source, delivery_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE access_tokens`);
  }
}
