export * from './entities/event-record.entity';
export * from './events.types';
export * from './events.service';
export * from './event-bus';
export * from './event-streamer';
export * from './events.module';
export * from './dto/events.dto';
