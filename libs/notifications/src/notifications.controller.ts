import { Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiErrors, ApiEventStream, UuidParamPipe, parseLastEventId } from '@app/common';
import { EventBus, EventStreamer } from '@app/events';
import { NotificationsService } from './notifications.service';
import {
  ListNotificationsQuery,
  MarkAllReadResult,
  NotificationPage,
  NotificationStreamQuery,
  NotificationView,
} from './notifications.dto';

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly streamer: EventStreamer,
    private readonly bus: EventBus,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listNotifications', summary: 'The notification board, newest first, with the unread count' })
  @ApiOkResponse({ type: NotificationPage })
  list(@Query() query: ListNotificationsQuery): Promise<NotificationPage> {
    return this.notifications.list({ unread: query.unread === 'true', limit: query.limit ?? 50, cursor: query.cursor });
  }

  @Post('read-all')
  @HttpCode(200)
  @ApiOperation({ operationId: 'markAllNotificationsRead', summary: 'Mark every notification read' })
  @ApiOkResponse({ type: MarkAllReadResult })
  readAll(): Promise<MarkAllReadResult> {
    return this.notifications.markAllRead();
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiErrors(404)
  @ApiOperation({ operationId: 'markNotificationRead', summary: 'Mark a notification read' })
  @ApiOkResponse({ type: NotificationView })
  read(@Param('id', UuidParamPipe) id: string): Promise<NotificationView> {
    return this.notifications.markRead(id);
  }

  @Get('stream')
  @ApiOperation({
    operationId: 'streamNotifications',
    summary: 'New notifications, live (SSE `notification` events); Last-Event-ID resumes',
  })
  @ApiEventStream({
    description: 'snapshot ({ unreadCount }), then notification (NotificationView); error if the stream fails',
    events: ['snapshot', 'notification', 'error'],
  })
  async stream(
    @Query() query: NotificationStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const afterId = parseLastEventId(lastEventId) ?? parseLastEventId(query.lastEventId) ?? this.bus.position;
    await this.streamer.open(reply, {
      filter: { types: ['notification'] },
      afterId,
      snapshot: async () => ({ unreadCount: (await this.notifications.list({ unread: true, limit: 1 })).unreadCount }),
      render: (event) => ({ event: 'notification', data: event.data }),
    });
  }
}
