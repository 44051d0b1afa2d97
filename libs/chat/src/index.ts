export * from './chat.errors';
export * from './entities/conversation.entity';
export * from './entities/message.entity';
export * from './messages.service';
export * from './coordinator.service';
export * from './chat.module';
export * from './dto/chat.dto';
