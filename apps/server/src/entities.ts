import { Conversation, Message } from '@app/chat';
import { EventRecord } from '@app/events';
import { Job } from '@app/jobs';
import { LedgerEntry } from '@app/ledger';

/** Every TypeORM entity of the service, listed explicitly. */
export const ENTITIES = [Job, EventRecord, LedgerEntry, Conversation, Message];
