import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventRecord } from './entities/event-record.entity';
import { EventsService } from './events.service';
import { EventBus } from './event-bus';
import { EventStreamer } from './event-streamer';
import { EventsController } from './events.controller';

/** The event log, its in-process fan-out and its SSE streams. */
@Module({
  imports: [TypeOrmModule.forFeature([EventRecord])],
  controllers: [EventsController],
  providers: [EventsService, EventBus, EventStreamer],
  exports: [EventsService, EventBus, EventStreamer],
})
export class EventsModule {}
