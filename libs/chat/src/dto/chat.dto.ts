import { ApiProperty } from '@nestjs/swagger';
import { IntField, StringField, UuidField } from '@app/common';
import { REPO_PATTERN } from '@app/jobs';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';

/** What the chat Coordinator's own model calls in a conversation used (intake calls of messages that became jobs are the jobs'). */
export class ConversationSpendView {
  @ApiProperty() modelCalls: number;
  @ApiProperty() tokens: number;
  @ApiProperty() costCents: number;
}

export class ConversationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty({ type: String, nullable: true }) defaultRepo: string | null;
  @ApiProperty({
    type: ConversationSpendView,
    description: 'Model use of the chat itself, against CHAT_MAX_COST_CENTS and CHAT_MAX_TOKENS',
  })
  spend: ConversationSpendView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(c: Conversation): ConversationView {
    return {
      id: c.id,
      title: c.title,
      defaultRepo: c.defaultRepo,
      spend: { modelCalls: c.modelCalls ?? 0, tokens: c.usedTokens ?? 0, costCents: c.usedCostCents ?? 0 },
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
    };
  }
}

export class ConversationPage {
  @ApiProperty({ type: [ConversationView] }) items: ConversationView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class MessageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) conversationId: string;
  @ApiProperty({ enum: ['user', 'assistant', 'system'] }) role: 'user' | 'assistant' | 'system';
  @ApiProperty({ description: 'Markdown' }) content: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The job this message is about (a job card)' }) jobId:
    string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(m: Message): MessageView {
    return {
      id: m.id,
      conversationId: m.conversationId,
      role: m.role,
      content: m.content,
      jobId: m.jobId,
      data: m.data,
      createdAt: m.createdAt.toISOString(),
    };
  }
}

export class MessagePage {
  @ApiProperty({ type: [MessageView] }) items: MessageView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class CreateConversationRequest {
  @StringField({ description: 'Title (default: from the first message)', optional: true, maxLength: 200 })
  title?: string;

  @StringField({
    description: 'Repository the tasks of this conversation run on',
    optional: true,
    maxLength: 2_000,
    pattern: REPO_PATTERN,
    patternHint: 'defaultRepo must be an absolute server path or a git URL',
  })
  defaultRepo?: string;
}

export class ListQuery {
  @IntField({ description: 'Page size (default 50)', optional: true, min: 1, max: 500 })
  limit?: number;

  @StringField({ description: 'Opaque cursor from the previous page', optional: true, maxLength: 500 })
  cursor?: string;
}

export class ListMessagesQuery extends ListQuery {
  @UuidField({ description: 'The conversation' })
  conversationId: string;
}

export class PostMessageRequest {
  @UuidField({ description: 'The conversation' })
  conversationId: string;

  @StringField({
    description: 'Message text (stored as a system note when posted here; use POST /api/chat to talk to the team)',
    minLength: 1,
    maxLength: 20_000,
  })
  content: string;
}

export class ChatRequest {
  @StringField({ description: 'What you say', minLength: 1, maxLength: 20_000, example: 'fix the failing login test in src/auth.ts' })
  message: string;

  @UuidField({ description: 'Conversation to continue (default: a new one)', optional: true })
  conversationId?: string;

  @StringField({
    description: 'Repository for tasks in this conversation (sets its default)',
    optional: true,
    maxLength: 2_000,
    pattern: REPO_PATTERN,
    patternHint: 'repo must be an absolute server path or a git URL',
  })
  repo?: string;
}

export class ChatAccepted {
  @ApiProperty({ format: 'uuid' }) conversationId: string;
  @ApiProperty({ format: 'uuid' }) messageId: string;
}

export class ChatStreamQuery {
  @UuidField({ description: 'The conversation to follow' })
  conversationId: string;

  @StringField({ description: 'Resume after this event id (same as Last-Event-ID)', optional: true, maxLength: 20 })
  lastEventId?: string;
}
