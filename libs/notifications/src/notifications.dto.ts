import { ApiProperty } from '@nestjs/swagger';
import { BoolField, IntField, StringField } from '@app/common';

/** Kinds that are routine: stored read, shown grouped and quietly. */
export const ROUTINE_KINDS: readonly string[] = ['job_started'];

/** A row of notifications, as the driver returns it. */
export interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  job_id: string | null;
  conversation_id: string | null;
  context?: { goal?: string; repo?: string } | null;
  read_at: Date | null;
  created_at: Date;
}

/** What a notification is about: the job's goal and repository. */
export class NotificationContextView {
  @ApiProperty({ type: String, nullable: true }) goal: string | null;
  @ApiProperty({ type: String, nullable: true }) repo: string | null;
}

export class NotificationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: [
      'job_started',
      'job_succeeded',
      'job_failed',
      'job_aborted',
      'needs_attention',
      'budget_warning',
      'cap_reached',
      'insight',
      'reminder',
    ],
  })
  kind: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) jobId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) conversationId: string | null;
  @ApiProperty({ type: NotificationContextView, nullable: true }) context: NotificationContextView | null;
  @ApiProperty({ description: 'Routine (a job started): shown quietly, grouped, and never counted unread' }) routine: boolean;
  @ApiProperty() read: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(row: NotificationRow): NotificationView {
    return {
      id: row.id,
      kind: row.kind,
      title: row.title,
      body: row.body,
      jobId: row.job_id,
      conversationId: row.conversation_id,
      context: row.context ? { goal: row.context.goal ?? null, repo: row.context.repo ?? null } : null,
      routine: ROUTINE_KINDS.includes(row.kind),
      read: row.read_at !== null,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}

export class NotificationPage {
  @ApiProperty({ type: [NotificationView] }) items: NotificationView[];
  @ApiProperty() unreadCount: number;
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class MarkAllReadResult {
  @ApiProperty({ description: 'How many notifications were marked read' }) updated: number;
}

export class ListNotificationsQuery {
  @BoolField({ description: 'Only unread ones', optional: true })
  unread?: string;

  @IntField({ description: 'Page size (default 50)', optional: true, min: 1, max: 500 })
  limit?: number;

  @StringField({ description: 'Opaque cursor from the previous page', optional: true, maxLength: 500 })
  cursor?: string;
}

export class NotificationStreamQuery {
  @StringField({ description: 'Resume after this event id (same as Last-Event-ID)', optional: true, maxLength: 20 })
  lastEventId?: string;
}
