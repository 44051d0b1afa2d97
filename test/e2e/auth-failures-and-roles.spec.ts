import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLED_ROLES, REQUESTABLE_ROLES } from '@app/jobs';
import { JobHandlerRegistry } from '@app/worker';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const ADMIN = 'bootstrap-admin-token-for-failures-01';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const WRONG = bearer('aict_' + 'x'.repeat(43));
const goal = 'fix the failing login test in src/auth.ts';
const repo = '/srv/repos/shop';

describe('failed authentications are limited per address', () => {
  let t: TestApp;
  let reader: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN, ROLE: 'api', RATE_LIMIT_AUTH_FAILURES: '5/2' } });
    reader = (await api(t.url, 'POST', '/api/tokens', { name: 'reader', scopes: ['read'] }, bearer(ADMIN))).body.token;
  });
  afterAll(async () => t?.close());

  it('answers 401 to wrong tokens up to the limit, then 429 with Retry-After without checking them, and recovers after the window', async () => {
    // Requests with a valid token do not count.
    for (let i = 0; i < 20; i++) expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader))).status).toBe(200);
    const wrong = [];
    for (let i = 0; i < 5; i++)
      wrong.push((await api(t.url, 'GET', '/api/jobs', undefined, i % 2 ? WRONG : { cookie: 'aict_session=nope' })).status);
    expect(wrong).toEqual([401, 401, 401, 401, 401]);

    const limited = await api(t.url, 'GET', '/api/jobs', undefined, WRONG);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too_many_auth_failures');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // Past the limit the address gets no answer about any credential, not even a right one (a right guess would show).
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(ADMIN))).status).toBe(429);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000 + 100));
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader))).status).toBe(200);
    expect((await api(t.url, 'GET', '/api/jobs', undefined, WRONG)).status).toBe(401);
  });

  it('does not count requests that carry no credentials at all', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (let i = 0; i < 10; i++) expect((await api(t.url, 'GET', '/api/jobs')).status).toBe(401);
    expect((await api(t.url, 'GET', '/api/jobs', undefined, bearer(reader))).status).toBe(200);
  });

  it.each(['%zz', '%E0%A4%A', '%', 'a%2'])('answers 401, never 500, to a session cookie that does not decode (%s)', async (value) => {
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const res = await api(t.url, 'GET', '/api/jobs', undefined, { cookie: `aict_session=${value}` });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    // Signing out with it is harmless too.
    expect((await api(t.url, 'DELETE', '/api/auth/session', undefined, { cookie: `aict_session=${value}` })).status).toBe(204);
  });
});

describe('roles a job may be addressed to', () => {
  let t: TestApp;
  let writer: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: ADMIN } });
    writer = (await api(t.url, 'POST', '/api/tokens', { name: 'writer', scopes: ['write'] }, bearer(ADMIN))).body.token;
  });
  afterAll(async () => t?.close());

  it('accepts exactly the roles some handler works and a request can describe, as the OpenAPI document says', async () => {
    expect([...t.get<JobHandlerRegistry>(JobHandlerRegistry).roles()].sort()).toEqual([...HANDLED_ROLES].sort());
    expect(REQUESTABLE_ROLES).toEqual(['coordinator', 'builder']);
    const doc = (await api(t.url, 'GET', '/api/openapi.json')).body;
    expect(doc.components.schemas.CreateJobRequest.properties.role.allOf).toEqual([{ $ref: '#/components/schemas/RequestableRole' }]);
    expect(doc.components.schemas.RequestableRole.enum).toEqual(REQUESTABLE_ROLES);
  });

  it.each(['planner', 'reviewer', 'watcher', 'evaluator'])('refuses role %s with 400 before a job exists', async (role) => {
    const res = await api(t.url, 'POST', '/api/jobs', { goal, repo, role }, bearer(ADMIN));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.error.details)).toContain('role must be one of: coordinator, builder');
  });

  it('lets only an admin token start a builder job, which skips the Planner, the Reviewer, the quality gate and the TruthPack', async () => {
    const refused = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' }, bearer(writer));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('role_requires_admin');
    expect(refused.body.error.details).toMatchObject({ role: 'builder', required: 'admin' });
    const jobs = (await api(t.url, 'GET', '/api/jobs', undefined, bearer(writer))).body.items;
    expect(jobs.filter((j: { role: string }) => j.role === 'builder')).toEqual([]);

    expect((await api(t.url, 'POST', '/api/jobs', { goal, repo }, bearer(writer))).status).toBe(201);
    const admitted = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' }, bearer(ADMIN));
    expect(admitted.status).toBe(201);
    expect(admitted.body.role).toBe('builder');
  });
});
