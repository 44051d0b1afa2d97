import { ApiError, type ApiClient, type StreamMessage, apiErrorFrom, createApiClient, readEventStream, unwrap } from '@app/api-client';
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

export type { StreamMessage };

/**
 * The server's REST API and event streams for the CLI: the shared typed client (libs/api-client), with its
 * failures turned into one-line CliErrors that say what to do.
 */
export class Api {
  /** Typed client: paths, parameters, bodies and answers as openapi.json declares them. */
  readonly client: ApiClient;

  constructor(private readonly settings: CliSettings) {
    this.client = createApiClient({ baseUrl: settings.server, token: settings.token, fetch: (request) => this.fetch(request) });
  }

  get server(): string {
    return this.settings.server;
  }

  /** Awaits a typed call (`api.call(api.client.GET('/api/jobs'))`) and returns its data, or throws a CliError. */
  async call<T>(pending: Promise<{ data?: T; error?: unknown }>): Promise<T> {
    try {
      return unwrap(await pending);
    } catch (error) {
      throw error instanceof ApiError ? this.failure(error) : error;
    }
  }

  /** Follows an SSE stream until `onMessage` returns a value other than undefined (or the stream ends). */
  async stream<T>(path: string, onMessage: (message: StreamMessage) => T | undefined, signal?: AbortSignal): Promise<T | undefined> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}),
    };
    const response = await this.fetch(new Request(`${this.settings.server}${path}`, { headers, signal }));
    if (!response.ok) throw this.failure(await apiErrorFrom(response));
    return readEventStream(response.body!, onMessage);
  }

  private async fetch(request: Request): Promise<Response> {
    try {
      return await fetch(request);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if ((error as Error).name === 'AbortError') throw error;
      const code = cause?.code ?? '';
      if (
        ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code) ||
        (error as Error).message === 'fetch failed'
      ) {
        throw new CliError(`cannot reach ${this.settings.server}: is the server running?${code ? ` (${code})` : ''}`);
      }
      throw new CliError(`request to ${this.settings.server} failed: ${(error as Error).message}`);
    }
  }

  private failure(error: ApiError): CliError {
    if (error.status === 401)
      return new CliError(`the token was refused; run aict login${this.settings.token ? '' : ' (no token is set)'}`);
    const details = (error.details ?? {}) as {
      clarification?: unknown;
      violations?: { ruleId?: string; message?: string }[];
      suggestions?: unknown[];
      problems?: { field?: string; problems?: string[] }[];
    };
    const hints: string[] = [];
    if (details.clarification && details.clarification !== error.message) hints.push(String(details.clarification));
    for (const v of details.violations ?? []) if (v?.message) hints.push(`  ${v.ruleId ?? 'policy'}: ${v.message}`);
    for (const suggestion of details.suggestions ?? [])
      hints.push(`  try: ${typeof suggestion === 'string' ? suggestion : JSON.stringify(suggestion)}`);
    for (const problem of details.problems ?? [])
      if (problem?.field) hints.push(`  ${problem.field}: ${(problem.problems ?? []).join('; ')}`);
    const code = error.code.startsWith('http_') ? '' : ` ${error.code}`;
    return new CliError([`${error.message} (${error.status}${code})`, ...hints].join('\n'));
  }
}
