import { CliSettings } from './cli-config';

/** A failure the CLI reports in one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_ERROR,
  ) {
    super(message);
  }
}

/** Exit code of a command that could not be done (bad input, server down, refused token). */
export const EXIT_ERROR = 4;

/** One server-sent event. */
export interface SseMessage {
  event: string;
  data: unknown;
  id?: string;
}

/** Talks to the server's REST API and its event streams. */
export class ApiClient {
  constructor(private readonly settings: CliSettings) {}

  get server(): string {
    return this.settings.server;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: { ...this.auth(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) throw this.failure(response.status, parsed);
    return parsed as T;
  }

  /** Follows an SSE stream until `onMessage` returns a value other than undefined (or the stream ends). */
  async stream<T>(path: string, onMessage: (message: SseMessage) => T | undefined, signal?: AbortSignal): Promise<T | undefined> {
    const response = await this.fetch(path, { headers: { ...this.auth(), accept: 'text/event-stream' }, signal });
    if (!response.ok) {
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep text
      }
      throw this.failure(response.status, parsed);
    }
    const reader = response.body!.getReader();
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
          const message = parseBlock(block);
          if (!message) continue;
          const result = onMessage(message);
          if (result !== undefined) return result;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  private auth(): Record<string, string> {
    return this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {};
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.settings.server}${path}`, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if ((error as Error).name === 'AbortError') throw error;
      const code = cause?.code ?? '';
      if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code) || (error as Error).message === 'fetch failed') {
        throw new CliError(`cannot reach ${this.settings.server}: is the server running?${code ? ` (${code})` : ''}`);
      }
      throw new CliError(`request to ${this.settings.server} failed: ${(error as Error).message}`);
    }
  }

  private failure(status: number, body: any): CliError {
    if (status === 401) return new CliError(`the token was refused; run aict login${this.settings.token ? '' : ' (no token is set)'}`);
    const error = body?.error;
    const message = error?.message ?? (typeof body === 'string' && body ? body : `HTTP ${status}`);
    const hints: string[] = [];
    if (error?.details?.clarification && error.details.clarification !== message) hints.push(String(error.details.clarification));
    for (const v of error?.details?.violations ?? []) if (v?.message) hints.push(`  ${v.ruleId ?? 'policy'}: ${v.message}`);
    for (const suggestion of error?.details?.suggestions ?? []) hints.push(`  try: ${typeof suggestion === 'string' ? suggestion : JSON.stringify(suggestion)}`);
    for (const problem of error?.details?.problems ?? []) if (problem?.field) hints.push(`  ${problem.field}: ${(problem.problems ?? []).join('; ')}`);
    return new CliError([`${message} (${status}${error?.code ? ` ${error.code}` : ''})`, ...hints].join('\n'));
  }
}

function parseBlock(block: string): SseMessage | undefined {
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
