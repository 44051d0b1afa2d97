import { Module } from '@nestjs/common';
import { EventsModule } from '@app/events';
import { NotificationsService } from './notifications.service';
import { NotificationsController } from './notifications.controller';

/** The notification board and its live stream. */
@Module({
  imports: [EventsModule],
  controllers: [NotificationsController],
  providers: [NotificationsService],
  exports: [NotificationsService],
})
export class NotificationsModule {}
