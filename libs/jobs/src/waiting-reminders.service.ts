import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, scheduleEvery } from '@app/common';
import { EventsService } from '@app/events';

const REMINDER_CHECK_MS = 60_000;

/** Reminds people of the jobs waiting for them: worker processes look every minute (or every REMINDER_AFTER_MS if shorter). */
@Injectable()
export class WaitingReminders implements OnModuleInit {
  constructor(
    private readonly events: EventsService,
    private readonly scheduler: SchedulerRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    if (this.config.role === 'api') return;
    const every = Math.min(REMINDER_CHECK_MS, this.config.pipeline.reminderAfterMs);
    scheduleEvery(this.scheduler, this.logger, 'waiting-reminders', every, () => this.remindWaiting());
  }

  /** A `reminder` event for each job that has waited for a person longer than REMINDER_AFTER_MS (once per wait). */
  async remindWaiting(): Promise<number> {
    const rows: { id: string; trace_id: string; conversation_id: string | null; question: string | null }[] = await this.dataSource.query(
      `SELECT j.id, j.trace_id, j.conversation_id, j.pending_question->>'question' AS question FROM jobs j
        WHERE j.status = 'waiting_human' AND j.updated_at < now() - $1 * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.job_id = j.id AND e.type = 'reminder' AND e.created_at > j.updated_at)`,
      [this.config.pipeline.reminderAfterMs],
    );
    if (rows.length === 0) return 0;
    await this.events.recordNow(
      rows.map((r) => ({
        type: 'reminder',
        jobId: r.id,
        traceId: r.trace_id,
        conversationId: r.conversation_id,
        summary: `still waiting for a person: ${r.question ?? ''}`.trim(),
        data: { question: r.question },
      })),
    );
    return rows.length;
  }
}
