import { createApiClient, unwrap } from '@app/api-client';

export { ApiError, CLIENT_HEADER, type Schemas } from '@app/api-client';

/** Typed client of the server API (libs/api-client, shared with the CLI); throws ApiError on any non-2xx answer. */
export const api = createApiClient({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  credentials: 'include',
});

/** Unwraps an openapi-fetch result (errors already threw in the client). */
export const data = unwrap;

/** Builds a query string from the defined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
