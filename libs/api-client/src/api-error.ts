/** A non-2xx answer of the API: the HTTP status and the error envelope's code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Envelope {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** The ApiError of a failed response, read from its error envelope (`{ error: { code, message, details } }`). */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const text = await response
    .clone()
    .text()
    .catch(() => '');
  let body: Envelope | undefined;
  try {
    body = text ? (JSON.parse(text) as Envelope) : undefined;
  } catch {
    body = undefined;
  }
  const error = body?.error ?? (body as Envelope['error']) ?? {};
  const message =
    typeof error.message === 'string'
      ? error.message
      : Array.isArray(error.message)
        ? error.message.join('; ')
        : text && !body
          ? text.slice(0, 500)
          : `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return new ApiError(response.status, typeof error.code === 'string' ? error.code : `http_${response.status}`, message, error.details);
}
