import { ApiProperty } from '@nestjs/swagger';
import { BoolField, IntField, StringField } from '@app/common';

/** A row of notifications, as the driver returns it. */
export interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  job_id: string | null;
  conversation_id: string | null;
  read_at: Date | null;
  created_at: Date;
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
