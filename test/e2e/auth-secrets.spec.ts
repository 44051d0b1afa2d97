import { createHmac, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { JsonResponse, api } from '../support/http';

const ADMIN = 'bootstrap-admin-secret-planted-0001';
const MODEL_KEY = 'sk-ant-api03-planted-model-key-0123456789';
// Set beside the Anthropic key (MODEL_PROVIDER stays anthropic): a key the service holds is a secret whichever provider it serves.
const OPENAI_KEY = 'local-vllm-planted-openai-key-0123456789';
const GITHUB_SECRET = 'github-secret-planted-in-payload';
const GENERIC_SECRET = 'generic-secret-planted-in-payload';
const hmac = (secret: string, payload: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;

describe('secrets hygiene', () => {
  let t: TestApp;
  let log = '';
  const responses: JsonResponse[] = [];
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await api(t.url, method, path, body, { authorization: `Bearer ${ADMIN}`, ...headers });
    responses.push(res);
    return res;
  };

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        log += String(chunk);
        done();
      },
    });
    t = await startTestApp({
      logDestination: destination,
      env: {
        AUTH: 'on',
        AUTH_BOOTSTRAP_TOKEN: ADMIN,
        ROLE: 'api',
        LOG_LEVEL: 'debug',
        ANTHROPIC_API_KEY: MODEL_KEY,
        OPENAI_API_KEY: OPENAI_KEY,
        GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
        GENERIC_WEBHOOK_SECRET: GENERIC_SECRET,
      },
    });
  });
  afterAll(async () => t?.close());

  it('keeps tokens, the model keys and webhook secrets out of logs, events, the ledger and responses', async () => {
    const issued = (await call('POST', '/api/tokens', { name: 'planted', scopes: ['write'] })).body.token as string;
    const secrets = [ADMIN, MODEL_KEY, OPENAI_KEY, GITHUB_SECRET, GENERIC_SECRET, issued];

    const ids: string[] = [];
    for (const secret of [ADMIN, MODEL_KEY, OPENAI_KEY, issued]) {
      const job = await call('POST', '/api/jobs', {
        goal: `fix the failing login test in src/auth.ts, the password is ${secret}`,
        repo: '/srv/repo',
      });
      expect(job.status).toBe(201);
      expect(job.body.goal).toContain('[redacted]');
      ids.push(job.body.id);
    }

    const generic = JSON.stringify({
      goal: `fix the failing login test in src/auth.ts using ${GENERIC_SECRET}`,
      repo: '/srv/repo',
      deliveryId: randomUUID(),
      timestamp: Math.floor(Date.now() / 1_000),
    });
    const fromGeneric = await call('POST', '/api/webhooks/generic', generic, {
      'content-type': 'application/json',
      'x-aict-signature': hmac(GENERIC_SECRET, `${JSON.parse(generic).timestamp}.${generic}`),
    });
    expect(fromGeneric.status).toBe(201);
    ids.push(fromGeneric.body.jobId);

    const comment = JSON.stringify({
      action: 'created',
      issue: { title: 'login' },
      comment: {
        body: `@aict fix the failing login test in src/auth.ts with ${GITHUB_SECRET}`,
        user: { login: 'maintainer', type: 'User' },
        author_association: 'MEMBER',
      },
      repository: { full_name: 'acme/shop', clone_url: 'https://github.com/acme/shop.git' },
    });
    const fromGithub = await call('POST', '/api/webhooks/github', comment, {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': hmac(GITHUB_SECRET, comment),
    });
    expect(fromGithub.status).toBe(201);
    ids.push(fromGithub.body.jobId);

    // A token in a URL lands in the request log line.
    await call('GET', `/api/jobs?token=${issued}`);
    for (const id of ids) {
      await call('GET', `/api/jobs/${id}`);
      await call('GET', `/api/jobs/${id}/ledger`);
    }
    await call('GET', '/api/events?limit=500');
    await call('GET', '/api/ledger?limit=500');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const events = JSON.stringify(await t.dataSource.query('SELECT summary, data FROM events'));
    const ledger = JSON.stringify(await t.dataSource.query('SELECT summary, data FROM ledger'));
    const jobs = JSON.stringify(await t.dataSource.query('SELECT goal, intent FROM jobs'));
    expect(ledger).toContain('[redacted]');
    expect(log).toContain('"status":400');
    for (const secret of secrets) {
      expect(log, 'log').not.toContain(secret);
      expect(events, 'events').not.toContain(secret);
      expect(ledger, 'ledger').not.toContain(secret);
      expect(jobs, 'jobs').not.toContain(secret);
      // The one response allowed to show a token is the one that issued it.
      for (const res of responses.slice(1)) expect(JSON.stringify(res.body), 'response').not.toContain(secret);
    }
  });
});
