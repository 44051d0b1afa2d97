/** A JSON response: status, headers and parsed body. */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the API with a JSON body and parses the JSON answer. */
export async function api<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the newest event id stays the same for `quietMs`, and returns it: a job's batched
 * notifications land just after its own events, so "the events so far" is only known once they have.
 */
export async function settledEventId(
  db: { query: (sql: string) => Promise<{ rows: { max: string | number }[] }> },
  quietMs: number,
  timeoutMs: number,
): Promise<number> {
  let last = -1;
  await waitFor(
    async () => {
      const now = Number((await db.query('SELECT coalesce(max(id), 0) AS max FROM events')).rows[0].max);
      const settled = now === last;
      last = now;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, quietMs));
      return settled;
    },
    timeoutMs,
    'no more events',
  );
  return last;
}
