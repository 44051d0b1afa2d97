import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { apiErrorFrom } from './api-error';
import type { components, paths } from './schema';

/** The server's OpenAPI schemas by name (`Schemas['JobView']`), generated from openapi.json. */
export type Schemas = components['schemas'];

/** The typed client: `api.GET('/api/jobs/{id}', { params: { path: { id } } })`, paths and bodies checked against openapi.json. */
export type ApiClient = Client<paths>;

/** Sent with every request: the server requires it on unsafe methods of cookie sessions (its CSRF guard). */
export const CLIENT_HEADER = { 'X-Requested-With': 'aict' } as const;

export interface ApiClientOptions {
  /** Server origin, e.g. `http://localhost:3000` (no trailing path). */
  baseUrl: string;
  /** Bearer token; the dashboard leaves it out and relies on its session cookie. */
  token?: string;
  /** `include` in the browser, so the session cookie goes along. */
  credentials?: RequestInit['credentials'];
  /** Replaces `fetch` (the default is looked up at each call, so a test that swaps `globalThis.fetch` is honoured). */
  fetch?: (request: Request) => Promise<Response>;
}

const throwOnError: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await apiErrorFrom(response);
    return undefined;
  },
};

/** A typed client of the server API that throws an ApiError on every non-2xx answer. Used by the CLI and the dashboard. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    credentials: options.credentials,
    headers: { ...CLIENT_HEADER, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    fetch: options.fetch ?? ((request: Request) => globalThis.fetch(request)),
  });
  client.use(throwOnError);
  return client;
}

/** The data of an openapi-fetch result (failures already threw in the client's middleware). */
export function unwrap<T>(result: { data?: T; error?: unknown }): T {
  if (result.error !== undefined) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result.data as T;
}
