import { MigrationInterface, QueryRunner } from 'typeorm';

/** Notifications, live workers, and dedupe keys that let every process react to an event while only one writes. */
export class ChatNotificationsMetrics1764000000005 implements MigrationInterface {
  name = 'ChatNotificationsMetrics1764000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN dedupe_key text UNIQUE`);
    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL DEFAULT '',
        job_id uuid REFERENCES jobs (id),
        conversation_id uuid REFERENCES conversations (id),
        read_at timestamptz,
        dedupe_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX notifications_created_idx ON notifications (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX notifications_unread_idx ON notifications (created_at DESC) WHERE read_at IS NULL`);
    await q.query(`
      CREATE TABLE workers (
        id text PRIMARY KEY,
        modes text[] NOT NULL,
        concurrency integer NOT NULL,
        running integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now()
      )`);
    // Metrics read finished jobs by time.
    await q.query(`CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL`);
    // Escalation counts read status events by time.
    await q.query(`CREATE INDEX events_status_time_idx ON events (created_at) WHERE type = 'status'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_status_time_idx`);
    await q.query(`DROP INDEX jobs_finished_idx`);
    await q.query(`DROP TABLE workers`);
    await q.query(`DROP TABLE notifications`);
    await q.query(`ALTER TABLE messages DROP COLUMN dedupe_key`);
  }
}
