import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';

/** Every open stream of this process, so shutdown can end them (an open stream would hold the server open). */
const openStreams = new Set<SseStream>();

/** Ends every open SSE stream; called on shutdown before the HTTP server closes. */
export function endAllStreams(): void {
  for (const stream of [...openStreams]) stream.end();
}

/** A server-sent-events response written straight to the socket. */
export class SseStream {
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly reply: FastifyReply) {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-correlation-id': String(reply.request.id),
    });
    reply.raw.on('close', () => this.markClosed());
    reply.raw.on('error', () => this.markClosed());
    openStreams.add(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one event; `id` becomes the client's Last-Event-ID on reconnect. */
  send(event: string, data: unknown, id?: number | string): boolean {
    return this.sendFrame(SseStream.frame(event, data, id));
  }

  /** One message as it goes on the wire: render it once to send it on many streams. */
  static frame(event: string, data: unknown, id?: number | string): string {
    return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  /** Sends a message rendered by {@link SseStream.frame}. */
  sendFrame(frame: string): boolean {
    if (this.closed) return false;
    return this.reply.raw.write(frame);
  }

  /** Bytes written to the stream that the client has not taken yet. */
  get buffered(): number {
    return this.reply.raw.writableLength;
  }

  /** Calls `handler` once, when what was buffered has gone to the client. */
  onDrain(handler: () => void): void {
    this.reply.raw.once('drain', handler);
  }

  /** A comment line that keeps proxies and clients from timing the stream out. */
  comment(text: string): void {
    if (!this.closed) this.reply.raw.write(`: ${text}\n\n`);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  end(): void {
    if (this.closed) return;
    this.reply.raw.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    openStreams.delete(this);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}

/** Parses a Last-Event-ID header or query value; anything but a non-negative integer is ignored. */
export function parseLastEventId(value: unknown): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

/**
 * Documents an SSE route: its answer is `text/event-stream`, whose schema (as OpenAPI 3.0 reads it
 * for event streams) describes one event: its name, its `data` (a JSON text) and its `id`.
 */
export function ApiEventStream(options: { description: string; events: readonly string[] }) {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiOkResponse({
      description: options.description,
      schema: {
        type: 'object',
        required: ['event', 'data'],
        properties: {
          event: { type: 'string', enum: [...options.events] },
          data: { type: 'string', description: 'JSON' },
          id: { type: 'string', pattern: '^[0-9]+$', description: 'Event id; a reconnecting client sends the last one as Last-Event-ID' },
        },
      },
    }),
  );
}
