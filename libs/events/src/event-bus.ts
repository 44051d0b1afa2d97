import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER, NotificationListener, endAllStreams } from '@app/common';
import { EventRecord } from './entities/event-record.entity';
import { EventsService } from './events.service';
import { EVENTS_CHANNEL, EventFilter, matchesFilter } from './events.types';

type Listener = (event: EventRecord) => void;

const FETCH_BATCH = 1_000;
const SAFETY_POLL_MS = 1_000;
const YIELD_AFTER_DELIVERIES = 2_000;

/**
 * In-process fan-out of committed events. NOTIFY only says "there is something after id N"; the
 * bus reads the rows once per process and hands them to every subscriber, so a thousand SSE
 * clients cost one query. After a lost LISTEN connection it catches up from the table.
 */
@Injectable()
export class EventBus implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly listeners = new Set<{ filter: EventFilter; listener: Listener }>();
  private lastId = 0;
  private fetching: Promise<void> | null = null;
  private again = false;
  private poll?: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    private readonly events: EventsService,
    private readonly notifications: NotificationListener,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'event-bus' });
  }

  async onModuleInit(): Promise<void> {
    this.lastId = await this.events.maxId();
    this.notifications.on(EVENTS_CHANNEL, (payload) => {
      const id = Number(payload);
      if (!(id > this.lastId)) return;
      // Nobody listens: just move the position, without reading rows no one will get.
      if (this.listeners.size === 0 && !this.fetching) this.lastId = id;
      else this.pull();
    });
    this.notifications.onReconnect(() => this.pull());
    // NOTIFY is not a guarantee (a connection can die silently); a cheap poll bounds the delay.
    this.poll = setInterval(() => {
      if (this.listeners.size > 0) this.pull();
    }, SAFETY_POLL_MS);
    this.poll.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.poll);
  }

  /** Open SSE streams would keep the HTTP server from closing: end them first. */
  beforeApplicationShutdown(): void {
    endAllStreams();
  }

  /** The highest event id the bus has delivered. */
  get position(): number {
    return this.lastId;
  }

  /** Calls `listener` with every new event matching `filter`, in id order; returns an unsubscribe function. */
  subscribe(filter: EventFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Reads what was committed since the last read; concurrent calls coalesce into one more read. */
  pull(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      try {
        do {
          this.again = false;
          let batch: EventRecord[];
          do {
            batch = await this.events.after(this.lastId, {}, FETCH_BATCH);
            let delivered = 0;
            for (const event of batch) {
              this.lastId = event.id;
              delivered += this.dispatch(event);
              // Thousands of streams times a batch of events is seconds of work: let requests in between.
              if (delivered >= YIELD_AFTER_DELIVERIES) {
                delivered = 0;
                await new Promise((resolve) => setImmediate(resolve));
              }
            }
          } while (batch.length === FETCH_BATCH);
        } while (this.again);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'reading new events failed; will retry');
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }

  /** Hands the event to every matching listener; returns how many there were. */
  private dispatch(event: EventRecord): number {
    let delivered = 0;
    for (const { filter, listener } of this.listeners) {
      if (!matchesFilter(event, filter)) continue;
      delivered++;
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'event listener failed');
      }
    }
    return delivered;
  }
}
