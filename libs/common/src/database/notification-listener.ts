import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import createPostgresSubscriber, { Subscriber } from 'pg-listen';
import { Logger } from 'pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { LOGGER } from '../logging/logging.module';

type Handler = (payload: string) => void;

/**
 * The process's one LISTEN connection (pg-listen), outside the TypeORM pool. It reconnects on its
 * own; after a reconnect, `onReconnect` handlers run so readers can catch up on what they missed.
 */
@Injectable()
export class NotificationListener implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriber: Subscriber;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private readonly logger: Logger;
  private connected = false;
  private closing = false;
  /** LISTEN statements run one at a time: pg deprecates overlapping queries on one client. */
  private listening: Promise<unknown> = Promise.resolve();
  private firstConnect = true;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(LOGGER) logger: Logger) {
    this.logger = logger.child({ component: 'notification-listener' });
    this.subscriber = createPostgresSubscriber(
      { connectionString: config.database.url },
      {
        parse: (payload) => payload,
        retryInterval: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
        retryTimeout: 0,
        paranoidChecking: 10_000,
      },
    );
    this.subscriber.events.on('notification', ({ channel, payload }) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(String(payload ?? ''));
    });
    this.subscriber.events.on('error', (error) => this.logger.error({ err: error.message }, 'LISTEN connection error'));
    this.subscriber.events.on('reconnect', (attempt) => {
      this.connected = false;
      if (attempt === 1) this.logger.warn('LISTEN connection lost; reconnecting');
    });
    this.subscriber.events.on('connected', () => {
      this.connected = true;
      if (this.firstConnect) {
        this.firstConnect = false;
        return;
      }
      this.logger.info('LISTEN connection restored');
      for (const handler of this.reconnectHandlers) handler();
    });
  }

  async onModuleInit(): Promise<void> {
    await this.subscriber.connect();
    for (const channel of this.handlers.keys()) await this.listen(channel);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.subscriber.close().catch(() => undefined);
  }

  /** True while the LISTEN connection is up. */
  isConnected(): boolean {
    return this.connected;
  }

  /** Calls `handler` with each notification's payload on `channel`; returns an unsubscribe function. */
  on(channel: string, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      if (this.connected) void this.listen(channel);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  private listen(channel: string): Promise<unknown> {
    this.listening = this.listening
      .then(() => (this.closing ? undefined : this.subscriber.listenTo(channel)))
      .catch((error: Error) => {
        if (!this.closing) this.logger.error({ err: error.message, channel }, 'LISTEN failed');
      });
    return this.listening;
  }

  /** Runs `handler` after every reconnect of the LISTEN connection. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }
}
