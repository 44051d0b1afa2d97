/** The cookie that carries a browser session secret. */
export const SESSION_COOKIE = 'aict_session';

/**
 * One cookie's value from a Cookie header. A value that does not percent-decode (`%zz`) is returned
 * as sent: no session has such a secret, so it fails authentication like any wrong one (401).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      const raw = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

/** A Set-Cookie value: httpOnly, SameSite=Strict, Secure over HTTPS; a negative max age clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
