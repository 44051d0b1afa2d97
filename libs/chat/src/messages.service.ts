import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { decodeCursor, DomainException, encodeCursor, Page, RepositoryAccess } from '@app/common';
import { EventsService } from '@app/events';
import { LedgerActor, LedgerService } from '@app/ledger';
import { Conversation } from './entities/conversation.entity';
import { Message, MessageRole } from './entities/message.entity';
import { ChatErrorCode } from './chat.errors';
import { ConversationView, MessageView } from './dto/chat.dto';

/** A chat status as the stream shows it. */
export type ChatState = 'thinking' | 'typing' | 'working' | 'queueing' | 'idle';

/** Conversations and their messages: every message is stored, appended to the ledger and streamed. */
/** Rows of conversations and messages, as the driver returns them. */
interface ConversationRow {
  id: string;
  title: string;
  default_repo: string | null;
  used_tokens: string;
  used_cost_cents: string;
  model_calls: number;
  created_at: Date;
  updated_at: Date;
}
interface MessageRow {
  id: string;
  conversation_id: string;
  role: Message['role'];
  content: string;
  job_id: string | null;
  data: Message['data'];
  created_at: Date;
}

@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly repositories: RepositoryAccess,
  ) {}

  /** Starts a conversation; a default repository must pass the access policy (`repo_not_allowed` otherwise). */
  async createConversation(input: { title?: string; defaultRepo?: string | null }): Promise<Conversation> {
    if (input.defaultRepo) this.repositories.assertAllowed(input.defaultRepo);
    const [row] = await this.dataSource.query(`INSERT INTO conversations (title, default_repo) VALUES ($1, $2) RETURNING *`, [
      input.title ?? 'New conversation',
      input.defaultRepo ?? null,
    ]);
    return this.toConversation(row);
  }

  async conversation(id: string): Promise<Conversation> {
    const found = await this.conversations.findOne({ where: { id } });
    if (!found) throw new DomainException(ChatErrorCode.ConversationNotFound, `Conversation ${id} does not exist`, undefined, 'not_found');
    return found;
  }

  /** Sets the repository the conversation's tasks run on; it must pass the access policy. */
  async setDefaultRepo(id: string, repo: string): Promise<void> {
    this.repositories.assertAllowed(repo);
    await this.dataSource.query(`UPDATE conversations SET default_repo = $2, updated_at = now() WHERE id = $1`, [id, repo]);
  }

  async listConversations(limit: number, cursor?: string): Promise<Page<ConversationView>> {
    const query = this.conversations
      .createQueryBuilder('c')
      .orderBy('c.updated_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const [updatedAt, id] = decodeCursor(cursor, ['timestamp', 'uuid']);
      query.andWhere('(c.updated_at, c.id) < (:updatedAt, :id)', { updatedAt, id });
    }
    const rows = await query.getMany();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(ConversationView.of),
      nextCursor: rows.length > limit && last ? encodeCursor([last.updatedAt.toISOString(), last.id]) : null,
    };
  }

  /** The last `limit` messages of a conversation, oldest first. */
  async recent(conversationId: string, limit: number): Promise<MessageView[]> {
    const rows = await this.messages
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId', { conversationId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(limit)
      .getMany();
    return rows.reverse().map(MessageView.of);
  }

  /** Messages oldest first. */
  async list(conversationId: string, limit: number, cursor?: string): Promise<Page<MessageView>> {
    await this.conversation(conversationId);
    const query = this.messages
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId', { conversationId })
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit + 1);
    if (cursor) {
      const [createdAt, id] = decodeCursor(cursor, ['timestamp', 'uuid']);
      query.andWhere('(m.created_at, m.id) > (:createdAt, :id)', { createdAt, id });
    }
    const rows = await query.getMany();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(MessageView.of),
      nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  /**
   * Stores a message with its ledger entry and its `message` event, in one transaction. With a
   * `dedupeKey`, a second post of the same thing (another process reacting to the same event) is
   * a no-op that returns null.
   */
  async post(input: {
    conversationId: string;
    role: MessageRole;
    content: string;
    jobId?: string | null;
    data?: Record<string, unknown>;
    dedupeKey?: string;
    actor: LedgerActor;
  }): Promise<MessageView | null> {
    return this.dataSource.transaction(async (manager) => {
      const rows: MessageRow[] = await manager.query(
        `INSERT INTO messages (conversation_id, role, content, job_id, data, dedupe_key) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
        [input.conversationId, input.role, input.content, input.jobId ?? null, JSON.stringify(input.data ?? {}), input.dedupeKey ?? null],
      );
      if (rows.length === 0) return null;
      const view = MessageView.of(this.toMessage(rows[0]));
      await manager.query(`UPDATE conversations SET updated_at = now() WHERE id = $1`, [input.conversationId]);
      await this.ledger.append(manager, [
        {
          kind: 'message',
          actor: input.actor,
          conversationId: input.conversationId,
          jobId: input.jobId ?? null,
          summary: `${input.role}: ${input.content.slice(0, 120)}`,
          // A text rendered from a template keeps, in the audit trail too, which template and what it cites.
          data: {
            messageId: view.id,
            role: input.role,
            content: input.content,
            ...(input.data?.template ? { template: input.data.template } : {}),
          },
        },
      ]);
      await this.events.record(manager, [
        {
          type: 'message',
          conversationId: input.conversationId,
          jobId: input.jobId ?? null,
          summary: `${input.role} message`,
          data: view as unknown as Record<string, unknown>,
        },
      ]);
      return view;
    });
  }

  /** Tells the conversation's stream what the team is doing. */
  async status(conversationId: string, state: ChatState, jobId?: string | null): Promise<void> {
    await this.events.recordNow([
      { type: 'chat_status', conversationId, jobId: jobId ?? null, summary: state, data: { state, jobId: jobId ?? null } },
    ]);
  }

  /** The last status the conversation's stream showed. */
  async lastStatus(conversationId: string): Promise<{ state: string; jobId: string | null } | null> {
    const [row] = await this.dataSource.query(
      `SELECT data FROM events WHERE conversation_id = $1 AND type = 'chat_status' ORDER BY id DESC LIMIT 1`,
      [conversationId],
    );
    return row ? { state: row.data.state, jobId: row.data.jobId ?? null } : null;
  }

  /** The newest event id of a conversation (the point a fresh stream continues from). */
  async latestEventId(conversationId: string): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT coalesce(max(id), 0) AS id FROM events WHERE conversation_id = $1`, [conversationId]);
    return Number(row.id);
  }

  private toConversation(row: ConversationRow): Conversation {
    return Object.assign(new Conversation(), {
      id: row.id,
      title: row.title,
      defaultRepo: row.default_repo,
      usedTokens: Number(row.used_tokens),
      usedCostCents: Number(row.used_cost_cents),
      modelCalls: row.model_calls,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
  }

  private toMessage(row: MessageRow): Message {
    return Object.assign(new Message(), {
      id: row.id,
      conversationId: row.conversation_id,
      role: row.role,
      content: row.content,
      jobId: row.job_id,
      data: row.data,
      createdAt: row.created_at,
    });
  }
}
