import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
// Real delivery shapes from GitHub's examples in octokit/webhooks (test/fixtures/github-webhooks/SOURCES.md), changed per test.
const fixture = (name: string) => JSON.parse(readFileSync(resolve(__dirname, '../fixtures/github-webhooks', name), 'utf8'));
const person = (login: string) => ({ login, id: 1, type: 'User', site_admin: false });
const repository = (fullName: string) => ({
  ...fixture('issues.labeled.json').repository,
  full_name: fullName,
  clone_url: `https://github.com/${fullName}.git`,
});
/** A maintainer labels a stranger's issue (as GitHub sends it: the sender has no association). */
const labeled = (label = 'aict', sender: Record<string, unknown> = person('maintainer')) => {
  const payload = fixture('issues.labeled.json');
  return {
    ...payload,
    label: { ...payload.label, name: label },
    issue: {
      ...payload.issue,
      number: 7,
      title: 'Login fails',
      body: 'fix the failing login test in src/auth.ts',
      user: person('reporter'),
      author_association: 'NONE',
    },
    repository: repository('acme/shop'),
    sender,
  };
};
/** A comment by `login` with GitHub's `author_association` for them. */
const commented = (body: string, login: string, association: string, fullName = 'other/repo') => {
  const payload = fixture('issue_comment.created.json');
  return {
    ...payload,
    issue: { ...payload.issue, number: 8, title: 'Checkout is slow' },
    comment: { ...payload.comment, body, user: person(login), author_association: association },
    repository: repository(fullName),
    sender: person(login),
  };
};

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
        GITHUB_TRUSTED_LOGINS: 'outside-helper',
        WEBHOOK_MAX_STEPS: '12',
        WEBHOOK_MAX_COST_CENTS: '40',
      },
    });
  });
  afterAll(async () => t?.close());

  const jobOf = async (id: string) => (await t.dataSource.query('SELECT goal, repo, source, untrusted FROM jobs WHERE id = $1', [id]))[0];
  const capsOf = async (id: string) =>
    (
      await t.dataSource.query(
        'SELECT mode, max_steps::float8 AS "maxSteps", max_tokens::float8 AS "maxTokens", max_cost_cents::float8 AS "maxCostCents", max_wall_ms::float8 AS "maxWallMs" FROM jobs WHERE id = $1',
        [id],
      )
    )[0];
  const jobCount = async () => Number((await t.dataSource.query('SELECT count(*) AS n FROM jobs'))[0].n);
  const ignoredEntries = async (deliveryId: string) =>
    t.dataSource.query(`SELECT actor, summary, data FROM ledger WHERE kind = 'webhook.ignored' AND data->>'deliveryId' = $1`, [deliveryId]);
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
    // The ledger names who asked for it.
    expect(await actorsOf(res.body.jobId)).toContain('webhook:github:maintainer');
  });

  it('turns a comment that mentions the trigger into a job whose goal is the text after the mention', async () => {
    const res = await github(t, 'issue_comment', commented('Hey @aict fix the failing test in src/cart.ts', 'Codertocat', 'COLLABORATOR'));
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
    const noMention = await github(t, 'issue_comment', commented('looks good', 'Codertocat', 'OWNER'));
    expect(noMention.body.ignored).toBe(true);
  });

  it('ignores a trigger comment from someone who is not an owner, member or collaborator: 202, no job, and the reason in the ledger', async () => {
    const before = await jobCount();
    const delivery = randomUUID();
    const payload = commented('@aict fix the failing test in src/cart.ts and push it', 'stranger', 'NONE', 'acme/shop');
    const res = await github(t, 'issue_comment', payload, { delivery });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      ignored: true,
      reason: expect.stringContaining('stranger is NONE, not one of OWNER, MEMBER, COLLABORATOR'),
    });
    for (const association of ['CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER']) {
      const other = await github(t, 'issue_comment', commented('@aict fix the failing test in src/cart.ts', 'stranger', association));
      expect(other.status).toBe(202);
    }
    expect(await jobCount()).toBe(before);

    const [entry, ...more] = await ignoredEntries(delivery);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: 'webhook:github',
      data: { event: 'issue_comment', action: 'created', repository: 'acme/shop', issue: 8, login: 'stranger', association: 'NONE' },
    });
    // GitHub's redelivery of the same delivery is acknowledged and adds nothing.
    expect((await github(t, 'issue_comment', payload, { delivery })).status).toBe(202);
    expect(await ignoredEntries(delivery)).toHaveLength(1);
    expect(
      (await api(t.url, 'GET', '/api/ledger/verify', undefined, { authorization: 'Bearer bootstrap-admin-token-for-webhooks' })).body.ok,
    ).toBe(true);
  });

  it('ignores the trigger label when a bot added it, or a stranger through an issue template on their own issue', async () => {
    const before = await jobCount();
    const bot = await github(t, 'issues', labeled('aict', { login: 'github-actions[bot]', id: 41898282, type: 'Bot', site_admin: false }));
    expect(bot.status).toBe(202);
    expect(bot.body.reason).toContain('bot');
    const own = labeled('aict', person('reporter'));
    const template = await github(t, 'issues', own);
    expect(template.status).toBe(202);
    expect(template.body.reason).toContain('reporter labelled their own issue');
    expect(await jobCount()).toBe(before);
  });

  it('takes the trigger from a login listed in GITHUB_TRUSTED_LOGINS whatever its association', async () => {
    const res = await github(t, 'issue_comment', commented('@aict fix the failing test in src/cart.ts', 'Outside-Helper', 'NONE'));
    expect(res.status).toBe(201);
  });

  it('runs jobs from GitHub and generic webhooks under the webhook caps, whatever their mode', async () => {
    const fromGithub = await github(t, 'issues', labeled());
    expect(await capsOf(fromGithub.body.jobId)).toMatchObject({ maxSteps: 12, maxCostCents: 40 });
    const genius = await generic(t, {
      goal: 'fix the failing login test in src/auth.ts',
      repo: REPO,
      mode: 'genius',
      deliveryId: randomUUID(),
      timestamp: now(),
    });
    expect(genius.status).toBe(201);
    // Genius defaults (150 steps, 3M tokens, 1500 cents, 60 min) lowered to WEBHOOK_MAX_* (12, 1M, 40, 30 min).
    expect(await capsOf(genius.body.jobId)).toEqual({
      mode: 'genius',
      maxSteps: 12,
      maxTokens: 1_000_000,
      maxCostCents: 40,
      maxWallMs: 1_800_000,
    });
    // The same request through the API keeps the mode's own caps.
    const direct = await api(
      t.url,
      'POST',
      '/api/jobs',
      { goal: 'fix the failing login test in src/auth.ts', repo: REPO, mode: 'genius' },
      { authorization: 'Bearer bootstrap-admin-token-for-webhooks' },
    );
    expect(await capsOf(direct.body.id)).toMatchObject({ maxSteps: 150, maxCostCents: 1_500 });
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
