import { MigrationInterface, QueryRunner } from 'typeorm';

/** Escalations (a job continued in genius mode, asked about, or given a higher cap) are `escalation` events; the metrics read them by time. */
export class EscalationEvents1764000000017 implements MigrationInterface {
  name = 'EscalationEvents1764000000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX events_escalation_time_idx ON events (created_at) WHERE type = 'escalation'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_escalation_time_idx`);
  }
}
