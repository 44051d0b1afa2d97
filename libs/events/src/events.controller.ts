import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiEventStream, parseLastEventId } from '@app/common';
import { EventsService } from './events.service';
import { EventBus } from './event-bus';
import { EventStreamer } from './event-streamer';
import { EventPage, EventView, ListEventsQuery, StreamEventsQuery } from './dto/events.dto';

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly bus: EventBus,
    private readonly streamer: EventStreamer,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listEvents', summary: 'Events by job, trace or conversation, oldest first' })
  @ApiOkResponse({ type: EventPage })
  async list(@Query() query: ListEventsQuery): Promise<EventPage> {
    const page = await this.events.list({ ...query, limit: query.limit ?? 100 });
    return { items: page.items.map(EventView.of), nextCursor: page.nextCursor };
  }

  @Get('stream')
  @ApiOperation({
    operationId: 'streamEvents',
    summary: 'Live stream of events (SSE): snapshot, then event/status messages; Last-Event-ID resumes',
  })
  @ApiEventStream({
    description: 'snapshot ({ filter, lastEventId }), then event and status (EventView); error if the stream fails',
    events: ['snapshot', 'event', 'status', 'error'],
  })
  async stream(
    @Query() query: StreamEventsQuery,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { lastEventId, ...filter } = query;
    const resumeFrom = parseLastEventId(lastEventIdHeader) ?? parseLastEventId(lastEventId);
    const afterId = resumeFrom ?? this.bus.position;
    await this.streamer.open(reply, { filter, afterId, snapshot: async (from) => ({ filter, lastEventId: from }) });
  }
}
