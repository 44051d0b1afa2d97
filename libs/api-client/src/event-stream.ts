/** One server-sent event: its name (`message` when unnamed), its data (parsed when JSON) and its id. */
export interface StreamMessage {
  event: string;
  data: unknown;
  id?: string;
}

/**
 * Reads a `text/event-stream` body and hands each event to `onMessage` until it returns a value other than
 * undefined (returned here) or the stream ends (undefined). For clients without EventSource (the CLI);
 * the dashboard uses the browser's.
 */
export async function readEventStream<T>(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: StreamMessage) => T | undefined,
): Promise<T | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const message = parseEvent(block);
        if (!message) continue;
        const result = onMessage(message);
        if (result !== undefined) return result;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** One event block of the stream (lines up to a blank line); undefined for comments and blocks without data. */
export function parseEvent(block: string): StreamMessage | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  try {
    return { event, id, data: JSON.parse(text) };
  } catch {
    return { event, id, data: text };
  }
}
