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
  /** First message of the stream; given the resume point actually used. */
  snapshot: (afterId: number) => Promise<unknown>;
  /** When true for an event, the stream sends `complete` once caught up and closes. */
  isTerminal?: (event: EventRecord) => boolean;
  /** Whether the subject is already finished at connect time. */
  terminalAtStart?: boolean;
  /** How an event goes on the wire (default: `status` for status events, else `event`, with the EventView). */
  render?: (event: EventRecord) => { event: string; data: unknown };
}

const BACKFILL_BATCH = 500;
/**
 * A client with more than this unread stops getting live events and catches up from the events
 * table once it has taken what it has: a slow reader costs a bounded buffer, not the whole stream.
 */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** The default rendering of an event, made once and written to every stream that sends it. */
const renderedFrames = new WeakMap<EventRecord, string>();

/**
 * Serves one SSE stream: `snapshot`, then every stored event after the resume point, then live
 * events, each exactly once and in id order (`id:` is the event id, so `Last-Event-ID` resumes
 * without loss), heartbeat comments while idle, and `complete` when the subject ends. A client
 * that reads slower than events come is served from the table when it is ready for more.
 */
@Injectable()
export class EventStreamer {
  constructor(
    private readonly bus: EventBus,
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async open(reply: FastifyReply, options: StreamOptions): Promise<void> {
    // A resume id beyond the newest event (another database, a made-up number) would hide every
    // event until ids grew that large: start from the newest instead.
    let lastSent = options.afterId > this.bus.position ? Math.min(options.afterId, await this.events.maxId()) : options.afterId;
    const sse = new SseStream(reply);
    /** catching_up: reading the table, live events wait in `pending`; live: sending as they come; behind: the client lags, live events are left in the table. */
    let mode: 'catching_up' | 'live' | 'behind' = 'catching_up';
    let terminal = options.terminalAtStart ?? false;
    const pending: EventRecord[] = [];

    const complete = () => {
      sse.send('complete', { lastEventId: lastSent });
      sse.end();
    };
    const frameOf = (event: EventRecord): string => {
      if (options.render) {
        const wire = options.render(event);
        return SseStream.frame(wire.event, wire.data, event.id);
      }
      let frame = renderedFrames.get(event);
      if (frame === undefined) {
        frame = SseStream.frame(event.type === 'status' ? 'status' : 'event', EventView.of(event), event.id);
        renderedFrames.set(event, frame);
      }
      return frame;
    };
    /** Writes one event (once, in id order); false when the client has too much unread to take more now. */
    const send = (event: EventRecord): boolean => {
      if (event.id <= lastSent || sse.isClosed) return true;
      lastSent = event.id;
      sse.sendFrame(frameOf(event));
      if (event.type === 'status' && options.isTerminal) terminal = options.isTerminal(event);
      return sse.buffered <= MAX_BUFFERED_BYTES;
    };
    const fail = (error: unknown) => {
      sse.send('error', { code: 'stream_failed', message: (error as Error).message });
      sse.end();
    };
    const fallBehind = () => {
      mode = 'behind';
      pending.length = 0;
      sse.onDrain(() => void catchUp().catch(fail));
    };
    /** Sends what the table holds after `lastSent`, then what arrived meanwhile, then goes live. */
    const catchUp = async (): Promise<void> => {
      mode = 'catching_up';
      for (;;) {
        const batch = await this.events.after(lastSent, options.filter, BACKFILL_BATCH);
        if (sse.isClosed) return;
        for (const event of batch) if (!send(event)) return fallBehind();
        if (batch.length < BACKFILL_BATCH) break;
      }
      for (const event of pending.splice(0)) if (!send(event)) return fallBehind();
      mode = 'live';
      if (terminal) complete();
    };

    // Subscribe before reading the backlog so nothing committed in between is missed.
    const unsubscribe = this.bus.subscribe(options.filter, (event) => {
      if (mode === 'catching_up') pending.push(event);
      else if (mode === 'live' && !send(event)) fallBehind();
      else if (mode === 'live' && terminal) complete();
      // behind: the event stays in the table until the client has drained its buffer.
    });
    const heartbeat = setInterval(() => sse.comment('heartbeat'), this.config.sse.heartbeatMs);
    sse.onClose(() => {
      unsubscribe();
      clearInterval(heartbeat);
    });

    try {
      sse.send('snapshot', await options.snapshot(lastSent));
      await catchUp();
    } catch (error) {
      fail(error);
    }
  }
}
