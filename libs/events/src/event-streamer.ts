import { Inject, Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig, SseStream } from '@app/common';
import { EventRecord } from './entities/event-record.entity';
import { EventBus } from './event-bus';
import { EventsService } from './events.service';
import { EventFilter } from './events.types';
import { EventView } from './dto/events.dto';

export interface StreamOptions {
  filter: EventFilter;
  /** Resume point: events with a greater id are sent. */
  afterId: number;
  /** First message of the stream. */
  snapshot: () => Promise<unknown>;
  /** When true for an event, the stream sends `complete` once caught up and closes. */
  isTerminal?: (event: EventRecord) => boolean;
  /** Whether the subject is already finished at connect time. */
  terminalAtStart?: boolean;
  /** How an event goes on the wire (default: `status` for status events, else `event`, with the EventView). */
  render?: (event: EventRecord) => { event: string; data: unknown };
}

const BACKFILL_BATCH = 500;

/**
 * Serves one SSE stream: `snapshot`, then every stored event after the resume point, then live
 * events, each exactly once and in id order (`id:` is the event id, so `Last-Event-ID` resumes
 * without loss), heartbeat comments while idle, and `complete` when the subject ends.
 */
@Injectable()
export class EventStreamer {
  constructor(
    private readonly bus: EventBus,
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async open(reply: FastifyReply, options: StreamOptions): Promise<void> {
    const sse = new SseStream(reply);
    let lastSent = options.afterId;
    let live = false;
    let terminal = options.terminalAtStart ?? false;
    const pending: EventRecord[] = [];

    const complete = () => {
      sse.send('complete', { lastEventId: lastSent });
      sse.end();
    };
    const send = (event: EventRecord) => {
      if (event.id <= lastSent || sse.isClosed) return;
      lastSent = event.id;
      const wire = options.render ? options.render(event) : { event: event.type === 'status' ? 'status' : 'event', data: EventView.of(event) };
      sse.send(wire.event, wire.data, event.id);
      if (event.type === 'status' && options.isTerminal) terminal = options.isTerminal(event);
      if (live && terminal) complete();
    };

    // Subscribe before reading the backlog so nothing committed in between is missed.
    const unsubscribe = this.bus.subscribe(options.filter, (event) => (live ? send(event) : pending.push(event)));
    const heartbeat = setInterval(() => sse.comment('heartbeat'), this.config.sse.heartbeatMs);
    sse.onClose(() => {
      unsubscribe();
      clearInterval(heartbeat);
    });

    try {
      sse.send('snapshot', await options.snapshot());
      for (;;) {
        const batch = await this.events.after(lastSent, options.filter, BACKFILL_BATCH);
        batch.forEach(send);
        if (batch.length < BACKFILL_BATCH || sse.isClosed) break;
      }
      live = true;
      pending.splice(0).forEach(send);
      if (terminal) complete();
    } catch (error) {
      sse.send('error', { code: 'stream_failed', message: (error as Error).message });
      sse.end();
    }
  }
}
