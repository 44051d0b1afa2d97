import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications say what they are about: the job's goal and repository, kept with the notification
 * (`context`), so a board reads "Needs your attention — fix the subtract bug · calc-js" without a
 * look-up per row.
 */
export class NotificationContext1764000000030 implements MigrationInterface {
  name = 'NotificationContext1764000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications ADD COLUMN context jsonb`);
    await q.query(`CREATE INDEX notifications_job_unread_idx ON notifications (job_id) WHERE read_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notifications_job_unread_idx`);
    await q.query(`ALTER TABLE notifications DROP COLUMN context`);
  }
}
