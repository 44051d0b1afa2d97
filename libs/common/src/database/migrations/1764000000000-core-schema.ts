// created_at is kept to millisecond precision so keyset cursors built from JS dates are exact.
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Jobs, events, the hash-chained ledger (append-only, enforced by triggers), conversations, messages. */
export class CoreSchema1764000000000 implements MigrationInterface {
  name = 'CoreSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title text NOT NULL DEFAULT '',
        default_repo text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversations_updated_idx ON conversations (updated_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        goal text NOT NULL,
        repo text NOT NULL,
        base_ref text,
        mode text NOT NULL CHECK (mode IN ('mechanic', 'genius')),
        agent_role text NOT NULL,
        parent_job_id uuid REFERENCES jobs (id),
        trace_id uuid NOT NULL,
        conversation_id uuid REFERENCES conversations (id),
        source text NOT NULL DEFAULT 'api',
        untrusted boolean NOT NULL DEFAULT false,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'waiting_human', 'cancelling', 'succeeded', 'failed', 'aborted')),
        priority integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL CHECK (max_attempts > 0),
        run_after timestamptz NOT NULL DEFAULT now(),
        max_steps integer NOT NULL,
        max_tokens bigint NOT NULL,
        max_cost_cents numeric(14, 4) NOT NULL,
        max_wall_ms bigint NOT NULL,
        used_steps integer NOT NULL DEFAULT 0,
        used_tokens bigint NOT NULL DEFAULT 0,
        used_cost_cents numeric(14, 4) NOT NULL DEFAULT 0,
        used_wall_ms bigint NOT NULL DEFAULT 0,
        reserved_tokens bigint NOT NULL DEFAULT 0,
        reserved_cost_cents numeric(14, 4) NOT NULL DEFAULT 0,
        current_action text,
        worker_id text,
        lease_expires_at timestamptz,
        heartbeat_at timestamptz,
        cancel_requested_at timestamptz,
        intent jsonb,
        intent_logline text,
        pending_question jsonb,
        human_response jsonb,
        checkpoint jsonb,
        result jsonb,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    // Claiming: the oldest highest-priority queued job of a mode.
    await q.query(`CREATE INDEX jobs_claim_idx ON jobs (mode, priority DESC, created_at, id) WHERE status = 'queued'`);
    // Stale detection: running jobs by lease expiry.
    await q.query(`CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status IN ('running', 'cancelling')`);
    await q.query(`CREATE INDEX jobs_created_idx ON jobs (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX jobs_status_created_idx ON jobs (status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX jobs_conversation_idx ON jobs (conversation_id, created_at DESC) WHERE conversation_id IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_parent_idx ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        job_id uuid REFERENCES jobs (id),
        trace_id uuid,
        conversation_id uuid,
        type text NOT NULL,
        role text,
        summary text NOT NULL DEFAULT '',
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX events_job_idx ON events (job_id, id)`);
    await q.query(`CREATE INDEX events_trace_idx ON events (trace_id, id) WHERE trace_id IS NOT NULL`);
    await q.query(`CREATE INDEX events_conversation_idx ON events (conversation_id, id) WHERE conversation_id IS NOT NULL`);
    await q.query(`CREATE INDEX events_type_idx ON events (type, id)`);

    await q.query(`
      CREATE TABLE ledger (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        ts timestamptz NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        job_id uuid,
        conversation_id uuid,
        trace_id uuid,
        summary text NOT NULL,
        data jsonb NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL UNIQUE
      )`);
    await q.query(`CREATE INDEX ledger_job_idx ON ledger (job_id, seq) WHERE job_id IS NOT NULL`);
    await q.query(`CREATE INDEX ledger_kind_idx ON ledger (kind, seq)`);
    await q.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`,
    );
    await q.query(`CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        role text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        content text NOT NULL,
        job_id uuid REFERENCES jobs (id),
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TRIGGER ledger_no_truncate ON ledger`);
    await q.query(`DROP TRIGGER ledger_no_update_delete ON ledger`);
    await q.query(`DROP TABLE ledger`);
    await q.query(`DROP FUNCTION ledger_refuse_change`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP TABLE jobs`);
    await q.query(`DROP TABLE conversations`);
  }
}
