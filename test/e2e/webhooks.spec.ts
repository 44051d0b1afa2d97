import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

const GITHUB_SECRET = 'github-webhook-secret-for-tests';
const GENERIC_SECRET = 'generic-webhook-secret-for-tests';
const REPO = '/srv/repos/shop';

const hmac = (secret: string, payload: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;

function github(t: TestApp, event: string, payload: unknown, options: { secret?: string; delivery?: string; signature?: string } = {}) {
  const body = JSON.stringify(payload);
  return api(t.url, 'POST', '/api/webhooks/github', body, {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-hub-signature-256': options.signature ?? hmac(options.secret ?? GITHUB_SECRET, body),
  });
}

function generic(t: TestApp, payload: Record<string, unknown>, options: { secret?: string; signature?: string } = {}) {
  const body = JSON.stringify(payload);
  return api(t.url, 'POST', '/api/webhooks/generic', body, {
    'content-type': 'application/json',
    'x-aict-signature': options.signature ?? hmac(options.secret ?? GENERIC_SECRET, `${payload.timestamp}.${body}`),
  });
}

const now = () => Math.floor(Date.now() / 1_000);
const labeled = (label = 'aict') => ({
  action: 'labeled',
  label: { name: label },
  issue: { number: 7, title: 'Login fails', body: 'fix the failing login test in src/auth.ts' },
  repository: { full_name: 'acme/shop', clone_url: 'https://github.com/acme/shop.git' },
});

describe('webhooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        AUTH: 'on',
        AUTH_BOOTSTRAP_TOKEN: 'bootstrap-admin-token-for-webhooks',
        ROLE: 'api',
        GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
        GENERIC_WEBHOOK_SECRET: GENERIC_SECRET,
        GITHUB_REPO_MAP: JSON.stringify({ 'acme/shop': REPO }),
      },
    });
  });
  afterAll(async () => t?.close());

  const jobOf = async (id: string) => (await t.dataSource.query('SELECT goal, repo, source, untrusted FROM jobs WHERE id = $1', [id]))[0];
  const actorsOf = async (id: string) =>
    (await t.dataSource.query('SELECT actor FROM ledger WHERE job_id = $1', [id])).map((r: any) => r.actor);

  it('turns a GitHub issue labelled with the trigger label into an untrusted job on the mapped repository', async () => {
    const res = await github(t, 'issues', labeled());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ignored: false, status: 'queued' });
    expect(await jobOf(res.body.jobId)).toEqual({
      goal: 'Login fails\n\nfix the failing login test in src/auth.ts',
      repo: REPO,
      source: 'webhook',
      untrusted: true,
    });
    expect(await actorsOf(res.body.jobId)).toContain('webhook:github');
  });

  it('turns a comment that mentions the trigger into a job whose goal is the text after the mention', async () => {
    const payload = {
      action: 'created',
      issue: { number: 8, title: 'Checkout is slow' },
      comment: { body: 'Hey @aict fix the failing test in src/cart.ts', user: { type: 'User' } },
      repository: { full_name: 'other/repo', clone_url: 'https://github.com/other/repo.git' },
    };
    const res = await github(t, 'issue_comment', payload);
    expect(res.status).toBe(201);
    expect(await jobOf(res.body.jobId)).toMatchObject({
      goal: 'fix the failing test in src/cart.ts',
      repo: 'https://github.com/other/repo.git',
      untrusted: true,
    });
  });

  it('acknowledges events it does not act on with 202 and ignored', async () => {
    expect((await github(t, 'push', { ref: 'refs/heads/main' })).body).toMatchObject({ ignored: true });
    const other = await github(t, 'issues', labeled('bug'));
    expect(other.status).toBe(202);
    expect(other.body.ignored).toBe(true);
    const noMention = await github(t, 'issue_comment', {
      action: 'created',
      comment: { body: 'looks good' },
      repository: { full_name: 'acme/shop' },
    });
    expect(noMention.body.ignored).toBe(true);
  });

  it('refuses forged, unsigned and replayed GitHub deliveries', async () => {
    const forged = await github(t, 'issues', labeled(), { secret: 'not-the-webhook-secret' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('webhook_bad_signature');
    const unsigned = await api(t.url, 'POST', '/api/webhooks/github', labeled(), {
      'x-github-event': 'issues',
      'x-github-delivery': randomUUID(),
    });
    expect(unsigned.status).toBe(401);

    const delivery = randomUUID();
    expect((await github(t, 'issues', labeled(), { delivery })).status).toBe(201);
    const replay = await github(t, 'issues', labeled(), { delivery });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('webhook_replayed');
  });

  it('turns a signed generic request into an untrusted job, once', async () => {
    const payload = {
      goal: 'fix the failing login test in src/auth.ts',
      repo: REPO,
      mode: 'mechanic',
      deliveryId: randomUUID(),
      timestamp: now(),
    };
    const res = await generic(t, payload);
    expect(res.status).toBe(201);
    expect(await jobOf(res.body.jobId)).toMatchObject({ goal: payload.goal, repo: REPO, source: 'webhook', untrusted: true });
    expect(await actorsOf(res.body.jobId)).toContain('webhook:generic');

    const replay = await generic(t, { ...payload, timestamp: now() });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('webhook_replayed');
  });

  it('refuses forged, stale and malformed generic requests, and answers 422 to a goal it cannot understand', async () => {
    const payload = { goal: 'fix the failing login test in src/auth.ts', repo: REPO, deliveryId: randomUUID(), timestamp: now() };
    expect((await generic(t, payload, { secret: 'not-the-webhook-secret' })).status).toBe(401);
    // The signature covers the timestamp: moving it breaks the signature.
    const body = JSON.stringify(payload);
    expect(
      (
        await api(t.url, 'POST', '/api/webhooks/generic', body, {
          'content-type': 'application/json',
          'x-aict-signature': hmac(GENERIC_SECRET, `${payload.timestamp + 1}.${body}`),
        })
      ).status,
    ).toBe(401);
    expect((await api(t.url, 'POST', '/api/webhooks/generic', payload)).status).toBe(401);

    const stale = await generic(t, { ...payload, deliveryId: randomUUID(), timestamp: now() - 3_600 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('webhook_stale_timestamp');

    const malformed = await generic(t, { ...payload, deliveryId: randomUUID(), repo: 'not a repo', extra: true });
    expect(malformed.status).toBe(400);

    const vague = await generic(t, { ...payload, deliveryId: randomUUID(), goal: 'make it better' });
    expect(vague.status).toBe(422);
    expect(vague.body.error.code).toBe('unparseable_request');
  });
});

describe('webhooks without a secret', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: 'bootstrap-admin-token-for-webhooks', ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

  it('are not there: 404, whatever the request is signed with', async () => {
    const payload = { goal: 'fix the failing login test in src/auth.ts', repo: REPO, deliveryId: randomUUID(), timestamp: now() };
    const res = await generic(t, payload, { secret: '' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('webhook_not_configured');
    expect((await github(t, 'issues', labeled(), { secret: '' })).status).toBe(404);
  });
});
