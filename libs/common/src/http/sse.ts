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
    if (this.closed) return false;
    const lines = [id !== undefined ? `id: ${id}` : '', `event: ${event}`, `data: ${JSON.stringify(data)}`, '', ''];
    return this.reply.raw.write(lines.filter((l, i) => i > 0 || l !== '').join('\n'));
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
