import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, rawPool } from '@app/common';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const ADMIN = 'bootstrap-admin-token-for-tests-0001';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// Routes anyone may call: probes, the docs, sign-out, and webhooks (which check signatures instead).
// The TruthPack public key is public on purpose: verifiers need it without an account (like a JWKS).
const PUBLIC_OPERATIONS = [
  'healthLive',
  'healthReady',
  'closeSession',
  'githubWebhook',
  'genericWebhook',
  'getTruthPackKey',
  'getLedgerKey',
];
// Routes that change nothing the token could not already read, so a read token may call them.
const READ_ONLY_CHANGES = ['openSession'];

interface Operation {
  id: string;
  method: string;
  path: string;
}

function operationsOf(doc: { paths: Record<string, Record<string, { operationId: string }>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path: path.replace(/\{[^}]+\}/g, randomUUID()),
    })),
  );
}

describe('access tokens', () => {
  let t: TestApp;
  let read: string;
  let write: string;
  let operations: Operation[];

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN, ROLE: 'api' } });
    read = (await api(t.url, 'POST', '/api/tokens', { name: 'reader', scopes: ['read'] }, bearer(ADMIN))).body.token;
    write = (await api(t.url, 'POST', '/api/tokens', { name: 'writer', scopes: ['write'] }, bearer(ADMIN))).body.token;
    operations = operationsOf((await api(t.url, 'GET', '/api/openapi.json')).body);
  });
  afterAll(async () => t?.close());

  it('leaves only the probes, the API document and the signed webhooks open', async () => {
    expect((await api(t.url, 'GET', '/api/health/live')).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/openapi.json')).status).toBe(200);
    expect((await fetch(`${t.url}/api/docs`)).status).toBe(200);
    expect(operations.length).toBeGreaterThan(15);
    expect(operations.map((op) => op.id)).toEqual(expect.arrayContaining(PUBLIC_OPERATIONS));
  });

  it('answers 401 on every other route without a token or with a wrong one, before looking anything up', async () => {
    for (const op of operations.filter((o) => !PUBLIC_OPERATIONS.includes(o.id))) {
      for (const headers of [{}, bearer('aict_' + 'x'.repeat(43)), bearer(ADMIN + 'x'), { authorization: `Basic ${ADMIN}` }]) {
        const res = await api(t.url, op.method, op.path, op.method === 'GET' ? undefined : {}, headers);
        expect(res.status, `${op.method} ${op.path} (${op.id})`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
      }
    }
  });

  it('answers 403 to a read-only token on every route that changes something, and to a write token on admin routes', async () => {
    const guarded = operations.filter((o) => !PUBLIC_OPERATIONS.includes(o.id));
    for (const op of guarded.filter((o) => o.method !== 'GET' && !READ_ONLY_CHANGES.includes(o.id))) {
      const res = await api(t.url, op.method, op.path, {}, bearer(read));
      expect(res.status, `${op.method} ${op.path} (${op.id})`).toBe(403);
      expect(res.body.error.code).toBe('insufficient_scope');
    }
    for (const op of guarded.filter((o) => o.path.startsWith('/api/tokens'))) {
      expect((await api(t.url, op.method, op.path, op.method === 'GET' ? undefined : {}, bearer(write))).status, op.id).toBe(403);
    }
  });

  it('lets a read token read and a write token create jobs, recording the token prefix as the actor', async () => {
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(read))).status).toBe(200);
    const job = await api(
      t.url,
      'POST',
      '/api/jobs',
      { goal: 'fix the failing login test in src/auth.ts', repo: '/srv/repo' },
      bearer(write),
    );
    expect(job.status).toBe(201);
    const tokens = (await api(t.url, 'GET', '/api/tokens', undefined, bearer(ADMIN))).body;
    const writer = tokens.find((tk: any) => tk.name === 'writer');
    expect(writer.prefix).toBe(write.slice(0, 13));
    const ledger = (await api(t.url, 'GET', `/api/jobs/${job.body.id}/ledger`, undefined, bearer(read))).body;
    expect(ledger[0].actor).toBe(`token:${writer.prefix}`);
  });

  it('issues tokens shown once, lists them without secrets, and refuses revoked and expired ones', async () => {
    const created = await api(t.url, 'POST', '/api/tokens', { name: 'short-lived', scopes: ['read'], expiresInDays: 1 }, bearer(ADMIN));
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^aict_[A-Za-z0-9_-]{43}$/);
    expect(created.body.expiresAt).toBeTruthy();
    const listed = await api(t.url, 'GET', '/api/tokens', undefined, bearer(ADMIN));
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(JSON.stringify(listed.body)).not.toContain(ADMIN);
    const [stored] = await t.dataSource.query('SELECT hash FROM access_tokens WHERE id = $1', [created.body.id]);
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);

    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(created.body.token))).status).toBe(200);
    await t.dataSource.query(`UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [created.body.id]);
    // Changed behind the service's back: the process trusts what it checked for up to AUTH_TOKEN_CACHE_MS.
    await waitFor(
      async () => (await api(t.url, 'GET', '/api/jobs', undefined, bearer(created.body.token))).status === 401,
      t.config.auth.tokenCacheMs + 1_000,
      'the expired token to be refused',
    );

    const other = (await api(t.url, 'POST', '/api/tokens', { name: 'to revoke', scopes: ['write'] }, bearer(ADMIN))).body;
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(other.token))).status).toBe(200);
    const revoked = await api(t.url, 'DELETE', `/api/tokens/${other.id}`, undefined, bearer(ADMIN));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(other.token))).status).toBe(401);
    expect((await api(t.url, 'DELETE', `/api/tokens/${randomUUID()}`, undefined, bearer(ADMIN))).status).toBe(404);
    expect((await api(t.url, 'POST', '/api/tokens', { name: 'bad', scopes: ['root'] }, bearer(ADMIN))).status).toBe(400);
  });

  it('looks a token up at most once per AUTH_TOKEN_CACHE_MS, and a revocation made through another API process takes effect within a second', async () => {
    const other = await startTestApp({ databaseUrl: t.config.database.url, env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN, ROLE: 'api' } });
    try {
      const created = (await api(t.url, 'POST', '/api/tokens', { name: 'cached', scopes: ['read'] }, bearer(ADMIN))).body;
      // However the service reaches the database: through TypeORM or the pool under it.
      const typeorm = vi.spyOn(t.dataSource, 'query');
      const pool = vi.spyOn(rawPool(t.dataSource), 'query');
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(created.token))).status).toBe(200);
      const windows = Math.ceil((Date.now() - started) / t.config.auth.tokenCacheMs);
      const statements = [...typeorm.mock.calls.map((call) => String(call[0])), ...pool.mock.calls.map((call) => String(call[0]))];
      const lookups = statements.filter((sql) => sql.includes('FROM access_tokens t')).length;
      typeorm.mockRestore();
      pool.mockRestore();
      expect(lookups).toBeLessThanOrEqual(Math.min(windows, 4));

      expect((await api(other.url, 'DELETE', `/api/tokens/${created.id}`, undefined, bearer(ADMIN))).status).toBe(200);
      const revokedAt = Date.now();
      await waitFor(
        async () => (await api(t.url, 'GET', '/api/jobs', undefined, bearer(created.token))).status === 401,
        5_000,
        'the revoked token to be refused by the other process',
      );
      // The cache's second, plus the time one request takes on a busy machine.
      expect(Date.now() - revokedAt).toBeLessThan(t.config.auth.tokenCacheMs + 500);
      expect(t.config.auth.tokenCacheMs).toBeLessThanOrEqual(1_000);
    } finally {
      await other.close();
    }
  });

  it('signs a browser in with an httpOnly SameSite=Strict cookie that needs the CSRF header for changes and works for event streams', async () => {
    const session = await api(t.url, 'POST', '/api/auth/session', undefined, bearer(write));
    expect(session.status).toBe(200);
    const setCookie = session.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^aict_session=aicts_/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = { cookie: setCookie.split(';')[0] };

    expect((await api(t.url, 'GET', '/api/auth/session', undefined, cookie)).body).toMatchObject({
      authEnabled: true,
      via: 'cookie',
      scopes: ['write'],
    });
    expect((await api(t.url, 'GET', '/api/jobs', undefined, cookie)).status).toBe(200);
    const forged = await api(t.url, 'POST', '/api/jobs', { goal: 'fix the failing login test in src/auth.ts', repo: '/srv/repo' }, cookie);
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('csrf_header_required');
    const created = await api(
      t.url,
      'POST',
      '/api/jobs',
      { goal: 'fix the failing login test in src/auth.ts', repo: '/srv/repo' },
      { ...cookie, 'x-requested-with': 'aict' },
    );
    expect(created.status).toBe(201);

    const controller = new AbortController();
    const stream = await fetch(`${t.url}/api/jobs/${created.body.id}/stream`, { headers: cookie, signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    // A session cannot mint another session: it must come from a bearer token.
    expect((await api(t.url, 'POST', '/api/auth/session', undefined, { ...cookie, 'x-requested-with': 'aict' })).status).toBe(400);

    const closed = await api(t.url, 'DELETE', '/api/auth/session', undefined, cookie);
    expect(closed.status).toBe(204);
    expect(closed.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await api(t.url, 'GET', '/api/jobs', undefined, cookie)).status).toBe(401);
  });

  it('ends the sessions of a token when the token is revoked', async () => {
    const token = (await api(t.url, 'POST', '/api/tokens', { name: 'browser', scopes: ['read'] }, bearer(ADMIN))).body;
    const cookie = {
      cookie: (await api(t.url, 'POST', '/api/auth/session', undefined, bearer(token.token))).headers.get('set-cookie')!.split(';')[0],
    };
    expect((await api(t.url, 'GET', '/api/jobs', undefined, cookie)).status).toBe(200);
    await api(t.url, 'DELETE', `/api/tokens/${token.id}`, undefined, bearer(ADMIN));
    expect((await api(t.url, 'GET', '/api/jobs', undefined, cookie)).status).toBe(401);
  });

  it('sends security headers with a CSP that allows the SPA and the Swagger UI, and no CORS headers by default', async () => {
    const docs = await fetch(`${t.url}/api/docs`, { headers: { origin: 'https://evil.example' } });
    const csp = docs.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
    expect(docs.headers.get('access-control-allow-origin')).toBeNull();
    // The Swagger UI runs only scripts from its own origin, so the CSP lets it work.
    expect(await docs.text()).not.toMatch(/<script>(?!\s*<\/script>)/);
  });
});

describe('the first start', () => {
  it('issues an admin token and prints a login link once', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (writes.push(String(chunk)), true));
    let t: TestApp | undefined;
    try {
      t = await startTestApp({ env: { AUTH: 'on', ROLE: 'api' } });
    } finally {
      spy.mockRestore();
    }
    try {
      const link = writes.join('').match(/http:\/\/[^\s]+\/login#token=(aict_[A-Za-z0-9_-]{43})/);
      expect(link).toBeTruthy();
      const token = link![1];
      expect((await api(t.url, 'GET', '/api/tokens', undefined, bearer(token))).body).toHaveLength(1);
      expect((await api(t.url, 'POST', '/api/auth/session', undefined, bearer(token))).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('AUTH=off', () => {
  it('is refused unless HOST is a loopback address, naming AUTH', () => {
    expect(() => loadConfig({ AUTH: 'off', HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH: 'off', HOST: '0.0.0.0' })).toThrow(/AUTH: off is allowed only when HOST is a loopback address/);
    expect(loadConfig({ AUTH: 'off', HOST: '127.0.0.1' }).auth.enabled).toBe(false);
    expect(loadConfig({ AUTH: 'off', HOST: '::1' }).auth.enabled).toBe(false);
    expect(loadConfig({}).auth.enabled).toBe(true);
    expect(() => loadConfig({ RATE_LIMIT_WRITE: 'lots' })).toThrow(/RATE_LIMIT_WRITE: must be "requests\/window-seconds"/);
    expect(() => loadConfig({ CORS_ORIGINS: 'not a url' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ GITHUB_WEBHOOK_SECRET: 'short' })).toThrow(/GITHUB_WEBHOOK_SECRET: must be at least 16 characters/);
  });
});
