import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '@app/agents';
import { EventsModule } from '@app/events';
import { IntakeModule } from '@app/intake';
import { LedgerModule } from '@app/ledger';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { MessagesService } from './messages.service';
import { CoordinatorService } from './coordinator.service';
import { ChatBudgetService } from './chat-budget.service';
import { JobUpdatesListener } from './job-updates.listener';
import { CoordinatorAgent } from './coordinator-agent';
import { CoordinatorReplies } from './coordinator-replies';
import { RepositoryViews } from './repository-views';
import { ChatController } from './chat.controller';

/** Chat: conversations, messages, the Coordinator that answers, and job updates posted back. */
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message]), LedgerModule, EventsModule, AgentsModule, IntakeModule],
  controllers: [ChatController],
  providers: [
    MessagesService,
    CoordinatorService,
    CoordinatorReplies,
    CoordinatorAgent,
    RepositoryViews,
    ChatBudgetService,
    JobUpdatesListener,
  ],
  exports: [MessagesService],
})
export class ChatModule {}
