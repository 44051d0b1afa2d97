import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Logger } from 'pino';
import {
  ApiErrors,
  ApiEventStream,
  LOGGER,
  RepositoryAccess,
  RequestActor,
  RequestActorName,
  RequestIdentity,
  RequestIdentityInfo,
  parseLastEventId,
} from '@app/common';
import { EventStreamer, EventView } from '@app/events';
import { CoordinatorService } from './coordinator.service';
import { MessagesService } from './messages.service';
import {
  ChatAccepted,
  ChatRequest,
  ChatStreamQuery,
  ConversationPage,
  ConversationView,
  CreateConversationRequest,
  ListMessagesQuery,
  ListQuery,
  MessagePage,
  MessageView,
  PostMessageRequest,
} from './dto/chat.dto';

const STREAM_TYPES = ['message', 'chat_status', 'chat_error'];

@ApiTags('chat')
@Controller('api')
export class ChatController {
  private readonly logger: Logger;

  constructor(
    private readonly messages: MessagesService,
    private readonly coordinator: CoordinatorService,
    private readonly streamer: EventStreamer,
    private readonly repositories: RepositoryAccess,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'chat' });
  }

  @Post('chat')
  @HttpCode(202)
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'sendChatMessage',
    summary: 'Say something to the team; returns at once, the Coordinator answers on the chat stream',
    description:
      'While a job of the conversation waits for an approval, only a message whose whole meaning is yes or no (approve, yes, ok, lgtm, ' +
      'ship it / reject, no, stop…, optionally followed by the job id) approves or rejects it; a status question gets the status, a task ' +
      'that names a file becomes a new job, anything else gets a reminder. A waiting question is answered by the message unless it is ' +
      'one of those (`answer: …` always answers). With a model configured, a message that is no task (or a question) goes to the ' +
      'Coordinator agent: it reads the conversation’s repository (read-only), looks at and on request cancels jobs, and delegates work ' +
      'through the same intake and policy as POST /api/jobs. The Coordinator’s own model calls are limited per conversation (CHAT_MAX_COST_CENTS, ' +
      'CHAT_MAX_TOKENS). A `repo` outside REPO_ALLOW is 400 repo_not_allowed before anything is stored; a refused repository named ' +
      'in the message is answered on the stream with the refusal.',
  })
  @ApiAcceptedResponse({ type: ChatAccepted })
  async chat(@Body() body: ChatRequest, @RequestIdentity() who: RequestIdentityInfo): Promise<ChatAccepted> {
    // A repository given with the message becomes the conversation's default: refused before anything is stored.
    if (body.repo) this.repositories.assertAllowed(body.repo);
    const conversation = body.conversationId
      ? await this.messages.conversation(body.conversationId)
      : await this.messages.createConversation({ title: body.message.slice(0, 80), defaultRepo: body.repo ?? null });
    const message = await this.messages.post({ conversationId: conversation.id, role: 'user', content: body.message, actor: who.actor });
    // The answer is worked out in the background; its failures reach the stream, never this request.
    void this.coordinator
      .respond(conversation.id, body.message, body.repo, { ...who, messageId: message!.id })
      .catch(async (error: Error) => {
        this.logger.error({ err: error.message, conversationId: conversation.id }, 'chat answer failed');
      });
    return { conversationId: conversation.id, messageId: message!.id };
  }

  @Get('chat/stream')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'streamChat',
    summary:
      'Live conversation (SSE): snapshot, then message, status (thinking/typing/working/queueing/idle) and error; Last-Event-ID resumes',
  })
  @ApiEventStream({
    description: 'snapshot ({ conversation, messages, status }), then message (MessageView), status ({ state, jobId }) and error',
    events: ['snapshot', 'message', 'status', 'error'],
  })
  async stream(
    @Query() query: ChatStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const conversation = await this.messages.conversation(query.conversationId);
    const resume = parseLastEventId(lastEventId) ?? parseLastEventId(query.lastEventId);
    const [status] = await this.messagesStatus(conversation.id);
    await this.streamer.open(reply, {
      filter: { conversationId: conversation.id, types: STREAM_TYPES },
      // Without a resume point the snapshot carries the history, so only new events follow.
      afterId: resume ?? (await this.latestEventId(conversation.id)),
      snapshot: async () => ({
        conversation: ConversationView.of(conversation),
        messages: (await this.messages.list(conversation.id, 500)).items,
        status,
      }),
      render: (event) =>
        event.type === 'message'
          ? { event: 'message', data: event.data as unknown as MessageView }
          : event.type === 'chat_status'
            ? { event: 'status', data: event.data }
            : { event: 'error', data: EventView.of(event).data },
    });
  }

  @Get('conversations')
  @ApiOperation({ operationId: 'listConversations', summary: 'Conversations, most recently active first' })
  @ApiOkResponse({ type: ConversationPage })
  conversations(@Query() query: ListQuery): Promise<ConversationPage> {
    return this.messages.listConversations(query.limit ?? 50, query.cursor);
  }

  @Post('conversations')
  @ApiOperation({
    operationId: 'createConversation',
    summary: 'Start a conversation, optionally with a default repository',
    description: 'A `defaultRepo` outside REPO_ALLOW is 400 repo_not_allowed.',
  })
  @ApiBody({ type: CreateConversationRequest, required: false })
  @ApiCreatedResponse({ type: ConversationView })
  async createConversation(@Body() body: CreateConversationRequest): Promise<ConversationView> {
    return ConversationView.of(await this.messages.createConversation({ title: body.title, defaultRepo: body.defaultRepo ?? null }));
  }

  @Get('messages')
  @ApiErrors(404)
  @ApiOperation({ operationId: 'listMessages', summary: "A conversation's messages, oldest first" })
  @ApiOkResponse({ type: MessagePage })
  list(@Query() query: ListMessagesQuery): Promise<MessagePage> {
    return this.messages.list(query.conversationId, query.limit ?? 100, query.cursor);
  }

  @Post('messages')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'postMessage',
    summary: 'Add a note to a conversation (not answered; use POST /api/chat to talk to the team)',
  })
  @ApiCreatedResponse({ type: MessageView })
  async post(@Body() body: PostMessageRequest, @RequestActor() actor: RequestActorName): Promise<MessageView> {
    await this.messages.conversation(body.conversationId);
    return (await this.messages.post({ conversationId: body.conversationId, role: 'system', content: body.content, actor }))!;
  }

  private async messagesStatus(conversationId: string): Promise<[{ state: string; jobId: string | null }]> {
    const last = await this.messages.lastStatus(conversationId);
    return [last ?? { state: 'idle', jobId: null }];
  }

  private latestEventId(conversationId: string): Promise<number> {
    return this.messages.latestEventId(conversationId);
  }
}
