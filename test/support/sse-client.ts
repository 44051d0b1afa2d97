/** One parsed server-sent event. */
export interface SseMessage {
  event: string;
  id?: string;
  data: any;
}

/**
 * A minimal SSE client over fetch that records every message, for asserting what a browser's
 * EventSource would have received. `close()` drops the connection like a network failure.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  status = 0;
  ended = false;
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.done = this.read(url, headers);
  }

  private async read(url: string, headers: Record<string, string>): Promise<void> {
    try {
      const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.controller.signal });
      this.status = response.status;
      if (!response.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let index: number;
        while ((index = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, index));
          buffer = buffer.slice(index + 2);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private parse(block: string): void {
    const message: Partial<SseMessage> = {};
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') message.event = value;
      else if (field === 'id') message.id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && !message.event) {
      this.notify();
      return;
    }
    this.messages.push({ event: message.event ?? 'message', id: message.id, data: data.length ? JSON.parse(data.join('\n')) : undefined });
    this.notify();
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits until `predicate` holds over the messages received so far. */
  async until(predicate: (messages: SseMessage[]) => boolean, timeoutMs = 15_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (this.ended) throw new Error(`stream ended before the condition held; got ${this.messages.map((m) => m.event).join(',')}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`Timed out; got ${this.messages.map((m) => m.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** The id of the last message that carried one (what EventSource sends as Last-Event-ID). */
  get lastEventId(): string | undefined {
    return [...this.messages].reverse().find((m) => m.id !== undefined)?.id;
  }

  close(): void {
    this.controller.abort();
  }
}
