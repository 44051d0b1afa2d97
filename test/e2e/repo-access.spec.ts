import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostLookup } from '@app/common';
import { FakeModel, requestText, startFakeModel } from '../fake-model/fake-model-server';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { SANDBOX_ENV } from '../support/sandbox';
import { TestApp, startTestApp } from '../support/test-app';

const goal = 'fix the failing login test in src/auth.ts';
const GENERIC_WEBHOOK_SECRET = 'generic-webhook-secret-for-repo-access';
/** The repositories the issue showed being accepted (201) and, for server paths, pushed into. */
const HOSTILE_URLS: [string, string][] = [
  ['file:///etc', 'file_url'],
  ['http://169.254.169.254/latest/meta-data/', 'link_local_address'],
  ['http://127.0.0.1:5432/x.git', 'loopback_address'],
  ['ssh://git@10.0.0.5/internal.git', 'private_address'],
  ['http://2130706433/x.git', 'loopback_address'],
  ['https://github.com@127.0.0.1/x.git', 'loopback_address'],
];

describe('repositories a job may touch (REPO_ALLOW)', () => {
  let root: string;
  let repos: string;
  let fake: FakeModel;
  /** Names this test resolves itself; anything else is unknown, as on a machine without DNS. */
  const names: Record<string, string> = { 'git.example.test': '127.0.0.1' };
  const lookup: HostLookup = async (host) => {
    if (!names[host]) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return [{ address: names[host], family: 4 }];
  };

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'aict-repo-access-')));
    repos = join(root, 'repos');
    await makeRepo('calc-js', join(repos, 'calc'));
    fake = await startFakeModel();
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const jobCount = async (t: TestApp) => Number((await t.dataSource.query('SELECT count(*) AS n FROM jobs'))[0].n);

  describe('with REPO_ALLOW set', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: { REPO_ALLOW: `${repos},https://github.com/acme/*`, DATA_DIR: join(root, 'data'), ROLE: 'api', GENERIC_WEBHOOK_SECRET },
      });
    });
    afterAll(async () => t?.close());

    it.each([['/etc', 'not_listed'], ...HOSTILE_URLS])(
      'refuses %s with 400 repo_not_allowed (%s) before a job exists, saying what is allowed and how to allow more',
      async (repo, reason) => {
        const before = await jobCount(t);
        const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('repo_not_allowed');
        expect(res.body.error.details).toMatchObject({ repo, reason, allowed: [repos, 'https://github.com/acme/*'] });
        expect(res.body.error.message).toContain('REPO_ALLOW');
        expect(await jobCount(t)).toBe(before);
      },
    );

    it("refuses the service's own DATA_DIR and what is below it, even inside a listed prefix's reach", async () => {
      for (const repo of [t.config.dataDir, join(t.config.dataDir, 'workspaces', 'some-job'), `${repos}/../data/keys`]) {
        const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
        expect(res.status, repo).toBe(400);
        expect(res.body.error.details.reason).toBe('data_dir');
      }
    });

    it('refuses a sibling of a listed prefix that only shares its first letters, and accepts what is listed', async () => {
      expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: `${repos}-evil/x` })).body.error.details.reason).toBe('not_listed');
      expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: join(repos, 'calc') })).status).toBe(201);
      expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: 'https://github.com/acme/shop.git' })).status).toBe(201);
    });

    it('applies the same check to chat: conversation defaults, the repository sent with a message, and one named in it', async () => {
      const created = await api(t.url, 'POST', '/api/conversations', { title: 'x', defaultRepo: '/etc' });
      expect(created.status).toBe(400);
      expect(created.body.error.code).toBe('repo_not_allowed');
      const sent = await api(t.url, 'POST', '/api/chat', { message: goal, repo: 'file:///etc' });
      expect(sent.status).toBe(400);
      expect(sent.body.error.details.reason).toBe('file_url');

      const conversation = (await api(t.url, 'POST', '/api/conversations', { title: 'y', defaultRepo: join(repos, 'calc') })).body;
      const before = await jobCount(t);
      const said = await api(t.url, 'POST', '/api/chat', { conversationId: conversation.id, message: `${goal} in /etc/ssh` });
      expect(said.status).toBe(202);
      const reply = await waitFor(async () => {
        const messages = (await api(t.url, 'GET', `/api/messages?conversationId=${conversation.id}`)).body.items;
        return messages.find((m: { role: string }) => m.role === 'assistant');
      });
      expect(reply.content).toMatch(/Repository \/etc\/ssh is not allowed/);
      expect(reply.data.refused).toMatchObject({ code: 'repo_not_allowed', reason: 'not_listed' });
      expect(
        (await api(t.url, 'GET', '/api/conversations')).body.items.find((c: { id: string }) => c.id === conversation.id).defaultRepo,
      ).toBe(join(repos, 'calc'));
      expect(await jobCount(t)).toBe(before);
    });

    it('refuses a webhook delivery whose repository is not allowed, before a job exists', async () => {
      const before = await jobCount(t);
      const deliveryId = randomUUID();
      const payload = { goal, repo: 'http://169.254.169.254/latest/meta-data/', deliveryId, timestamp: Math.floor(Date.now() / 1_000) };
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac('sha256', GENERIC_WEBHOOK_SECRET).update(`${payload.timestamp}.${body}`).digest('hex')}`;
      const res = await api(t.url, 'POST', '/api/webhooks/generic', body, {
        'content-type': 'application/json',
        'x-aict-signature': signature,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('repo_not_allowed');
      expect(await jobCount(t)).toBe(before);
    });

    it('refuses the preview of a request on a refused repository, so its file list is never read', async () => {
      const res = await api(t.url, 'POST', '/api/tdln/parse', { text: 'change something somewhere', repo: t.config.dataDir });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('repo_not_allowed');
    });
  });

  describe('by default on a loopback-only server', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: { DATA_DIR: join(root, 'data-default'), ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url, ...SANDBOX_ENV },
        hostLookup: lookup,
      });
    });
    afterAll(async () => t?.close());

    it.each(HOSTILE_URLS)('refuses %s (%s)', async (repo, reason) => {
      const res = await api(t.url, 'POST', '/api/jobs', { goal, repo });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toMatchObject({
        reason,
        allowed: ['any server path (except DATA_DIR)', 'https URLs (public addresses only)'],
      });
    });

    it('refuses DATA_DIR, and accepts other server paths and https URLs', async () => {
      expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: t.config.dataDir })).body.error.details.reason).toBe('data_dir');
      const accepted = await api(t.url, 'POST', '/api/jobs', { goal, repo: join(repos, 'calc'), maxSteps: 1 });
      expect(accepted.status).toBe(201);
      await api(t.url, 'POST', `/api/jobs/${accepted.body.id}/cancel`);
    });

    it('checks a host name again when the job clones, on what it resolves to then: one resolving to 127.0.0.1 fails the job with repo_not_allowed', async () => {
      const created = await api(t.url, 'POST', '/api/jobs', { goal, repo: 'https://git.example.test/acme/shop.git' });
      expect(created.status).toBe(201);
      const failed = await waitFor(async () => {
        const job = (await api(t.url, 'GET', `/api/jobs/${created.body.id}`)).body;
        return job.status === 'failed' ? job : undefined;
      }, 30_000);
      expect(failed.error.code).toBe('repo_not_allowed');
      expect(failed.error.message).toMatch(/git\.example\.test resolves to 127\.0\.0\.1, a loopback address/);
      // Refused before any agent ran on it.
      expect(fake.messageRequests().filter((r) => requestText(r).includes('git.example.test'))).toEqual([]);
    });
  });

  describe('on a shared server (HOST not loopback)', () => {
    const ADMIN = 'bootstrap-admin-token-for-repo-access';
    const bearer = { authorization: `Bearer ${ADMIN}` };

    it('refuses every repository when REPO_ALLOW is empty, and says so in a start-up warning', async () => {
      const lines: string[] = [];
      const log = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const t = await startTestApp({
        env: {
          HOST: '0.0.0.0',
          AUTH: 'on',
          AUTH_BOOTSTRAP_TOKEN: ADMIN,
          ROLE: 'api',
          LOG_LEVEL: 'warn',
          DATA_DIR: join(root, 'data-shared'),
        },
        logDestination: log,
      });
      try {
        expect(lines.join('')).toMatch(/REPO_ALLOW is empty: every job's repository will be refused/);
        const res = await api(t.url, 'POST', '/api/jobs', { goal, repo: join(repos, 'calc') }, bearer);
        expect(res.status).toBe(400);
        expect(res.body.error.details).toMatchObject({ reason: 'not_listed', allowed: [] });
        expect(res.body.error.message).toMatch(/REPO_ALLOW is empty/);
        expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: 'https://github.com/acme/shop.git' }, bearer)).status).toBe(400);
      } finally {
        await t.close();
      }
    });

    it('allows what REPO_ALLOW lists', async () => {
      const t = await startTestApp({
        env: {
          HOST: '0.0.0.0',
          AUTH: 'on',
          AUTH_BOOTSTRAP_TOKEN: ADMIN,
          ROLE: 'api',
          REPO_ALLOW: repos,
          DATA_DIR: join(root, 'data-shared-2'),
        },
      });
      try {
        expect((await api(t.url, 'POST', '/api/jobs', { goal, repo: join(repos, 'calc') }, bearer)).status).toBe(201);
      } finally {
        await t.close();
      }
    });
  });
});
