import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const ADMIN = 'bootstrap-admin-token-for-limits-01';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('rate limits, CORS and the body limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        AUTH: 'on',
        AUTH_BOOTSTRAP_TOKEN: ADMIN,
        ROLE: 'api',
        RATE_LIMIT_DEFAULT: '3/2',
        RATE_LIMIT_WRITE: '2/2',
        RATE_LIMIT_WEBHOOKS: '2/2',
        CORS_ORIGINS: 'https://dashboard.example.com',
        BODY_LIMIT_BYTES: '2048',
        GENERIC_WEBHOOK_SECRET: 'generic-secret-for-limits-0001',
      },
    });
  });
  afterAll(async () => t?.close());

  it('counts requests per token, answers 429 in the error envelope with Retry-After, and recovers when the window ends', async () => {
    const reader = (await api(t.url, 'POST', '/api/tokens', { name: 'reader', scopes: ['read'] }, bearer(ADMIN))).body.token;
    const other = (await api(t.url, 'POST', '/api/tokens', { name: 'other', scopes: ['read'] }, bearer(ADMIN))).body.token;
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader)));
    expect(seen.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(seen.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(seen[0].headers.get('x-ratelimit-limit')).toBe('3');
    expect(Number(seen[0].headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);

    const limited = await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.body.error.correlationId).toBeTruthy();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another token has a budget of its own.
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(other))).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Number(limited.headers.get('retry-after')) * 1_000 + 100));
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader))).status).toBe(200);
  });

  it('limits writes and webhooks in groups of their own, webhooks per address', async () => {
    const writer = (await api(t.url, 'POST', '/api/tokens', { name: 'writer', scopes: ['write'] }, bearer(ADMIN))).body.token;
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api(t.url, 'POST', '/api/tdln/parse', { text: 'fix the bug in src/a.ts' }, bearer(writer))).status);
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    expect(statuses[2]).toBe(429);
    // The read budget of the same token is untouched.
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(writer))).status).toBe(200);

    const hooks = [];
    for (let i = 0; i < 3; i++) hooks.push((await api(t.url, 'POST', '/api/webhooks/generic', { timestamp: 1 })).status);
    expect(hooks).toEqual([401, 401, 429]);
  });

  it('answers CORS preflights only for allowed origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/api/jobs`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://dashboard.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses bodies over BODY_LIMIT_BYTES with 413', async () => {
    const res = await api(t.url, 'POST', '/api/webhooks/generic', { goal: 'x'.repeat(4_000), timestamp: 1 });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });
});
