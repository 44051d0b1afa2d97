import { ApiProperty } from '@nestjs/swagger';
import { IntField, StringField, UuidField } from '@app/common';
import { EventRecord } from '../entities/event-record.entity';

/** One event as the API shows it. */
export class EventView {
  @ApiProperty({ description: 'Monotonic id; also the SSE event id' }) id: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) jobId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) traceId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) conversationId: string | null;
  @ApiProperty({ description: 'status, job.created, model_call, tool_call, tool_result, plan, review, budget_warning, error, ...' })
  type: string;
  @ApiProperty({ type: String, nullable: true, description: 'Agent role that produced it' }) role: string | null;
  @ApiProperty() summary: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(event: EventRecord): EventView {
    return Object.assign(new EventView(), { ...event, createdAt: event.createdAt.toISOString() });
  }
}

/** A page of events. */
export class EventPage {
  @ApiProperty({ type: [EventView] }) items: EventView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** Filters shared by the event list and stream. */
export class EventFilterQuery {
  @UuidField({ description: 'Only events of this job', optional: true })
  jobId?: string;

  @UuidField({ description: 'Only events of this trace', optional: true })
  traceId?: string;

  @UuidField({ description: 'Only events of this conversation', optional: true })
  conversationId?: string;
}

/** Query of `GET /api/events`. */
export class ListEventsQuery extends EventFilterQuery {
  @StringField({ description: 'Only events of this type', optional: true, maxLength: 100 })
  type?: string;

  @IntField({ description: 'Page size', optional: true, min: 1, max: 1000 })
  limit?: number;

  @StringField({ description: 'Opaque cursor from the previous page', optional: true, maxLength: 500 })
  cursor?: string;
}

/** Query of `GET /api/events/stream`. */
export class StreamEventsQuery extends EventFilterQuery {
  @StringField({ description: 'Resume after this event id (same as the Last-Event-ID header)', optional: true, maxLength: 20 })
  lastEventId?: string;
}
