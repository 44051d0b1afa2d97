import { createHmac, randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonResponse, api, settledEventId, waitFor } from '../support/http';
import { scale } from '../support/long';
import { SseClient } from '../support/sse-client';
import { TestApp, startTestApp } from '../support/test-app';
import { connect } from '../support/test-database';

/**
 * Hostile input the fuzzer does not think of: resume ids of every shape on every SSE endpoint,
 * bodies far too large or too deep, text PostgreSQL cannot store, Unicode that must survive byte
 * for byte, traversal in paths and URLs, malformed HTTP. Each gets a 4xx with a code or is stored
 * and returned exactly; never a 5xx, never a hang, and the server stays healthy and its ledger intact.
 */

const GITHUB_SECRET = 'github-webhook-secret-for-hostile-tests';
const GENERIC_SECRET = 'generic-webhook-secret-for-hostile-tests';
const GOAL = 'fix the failing login test in src/auth.ts';
const MB = 1024 * 1024;

const hmac = (secret: string, payload: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;

/** Text that must be stored and returned exactly, byte for byte. */
const STORABLE: [string, string][] = [
  ['emoji', 'a🙂b🚀'],
  ['a ZWJ family sequence and a flag', '👨‍👩‍👧‍👦 🇵🇹'],
  ['an RTL override', 'abc\u202Edcba\u202C'],
  ['zero-width joiners, non-joiners and spaces', 'a\u200Db\u200Cc\u200Bd\u2060e'],
  ['combining characters', 'e\u0301 n\u0303 a\u0308 \u0915\u094D\u0937'],
  ['a very long grapheme cluster', `e${'\u0301'.repeat(3_000)}`],
  [
    'zalgo text',
    'Z\u0351\u036B\u0343\u036A\u0302\u036B\u033D\u034F\u0334\u0319\u0324\u031E\u0349\u035A\u032F\u031E\u0320\u034DA\u036B\u0357',
  ],
  ['a BOM and line and paragraph separators', '\uFEFFa\u2028b\u2029c'],
  ['control characters', 'a\u0001b\u001Fc\u007Fd\u0085e\u001Bf'],
  ['CRLF, tabs and newlines', 'line1\r\nline2\tend\n'],
  ['noncharacters, private use and the last code point', '\uFFFE\uFFFF\uE000\u{10FFFF}'],
  ['a path traversal', '../../etc/passwd'],
  ['a percent-encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['a backslash traversal', '..\\..\\windows\\system32'],
  ['markup', '<script>alert(1)</script><img src=x onerror=alert(1)>'],
  ['SQL', "'; DROP TABLE jobs; --"],
  ['an escaped NUL as text', '\\u0000 and \\x00'],
];

/** Text PostgreSQL cannot store as given: refused with 400 validation_failed naming the field. */
const UNSTORABLE: [string, string][] = [
  ['a NUL character', 'a\u0000b'],
  ['a lone high surrogate', 'a\uD800b'],
  ['a lone low surrogate', 'a\uDC00b'],
  ['surrogates in the wrong order', '\uDC00\uD800'],
  ['half an emoji at the end', 'abc\uD83D'],
];

/** What a bad request must look like: a 4xx with the error envelope and a code. */
function expectRefused(res: JsonResponse, status?: number): void {
  if (status) expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  expect(res.body?.error?.code, JSON.stringify(res.body)).toMatch(/^[a-z_]+$/);
  expect(typeof res.body.error.correlationId).toBe('string');
}

interface StreamResult {
  status: number;
  contentType: string;
  body?: any;
  events: { event: string; id?: string; data: any }[];
  ended: boolean;
}

/**
 * Opens an SSE endpoint and reads until `enough` holds (or the stream ends); a non-stream answer
 * is read as JSON. Fails the test if nothing conclusive arrives in time: a hang.
 */
async function stream(
  url: string,
  headers: Record<string, string> | [string, string][],
  enough: (events: StreamResult['events']) => boolean,
): Promise<StreamResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const response = await fetch(url, { headers: new Headers(headers), signal: controller.signal });
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.startsWith('text/event-stream')) {
      const text = await response.text();
      return { status: response.status, contentType, body: text ? JSON.parse(text) : undefined, events: [], ended: true };
    }
    const result: StreamResult = { status: response.status, contentType, events: [], ended: false };
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body!.getReader();
    while (!enough(result.events)) {
      const { done, value } = await reader.read();
      if (done) {
        result.ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let index: number;
      while ((index = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) continue;
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        result.events.push({ event: field('event') ?? 'message', id: field('id'), data: JSON.parse(field('data') ?? 'null') });
      }
    }
    await reader.cancel().catch(() => undefined);
    return result;
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw new Error(`${url} gave nothing conclusive in 10 s (a hang)`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Sends bytes as they are (no URL normalisation, any header bytes) and returns the status line and body. */
function rawRequest(port: number, head: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('raw request hung')), 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.end(head);
  });
}

describe('hostile input', () => {
  let t: TestApp;
  let db: Client;
  let port: number;
  const counts = async () =>
    (
      await db.query(
        `SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM conversations)::int AS conversations, (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM access_tokens)::int AS tokens`,
      )
    ).rows[0];

  beforeAll(async () => {
    // ROLE api: jobs stay queued; their repositories are made up.
    t = await startTestApp({
      env: {
        ROLE: 'api',
        GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
        GENERIC_WEBHOOK_SECRET: GENERIC_SECRET,
        GITHUB_REPO_MAP: JSON.stringify({ 'acme/shop': '/srv/repos/shop' }),
      },
    });
    db = await connect(t.config.database.url!);
    port = Number(new URL(t.url).port);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  describe('SSE resume ids', () => {
    let jobId: string;
    let conversationId: string;
    let jobEventIds: number[];
    let maxEventId: number;

    // Header values go on the wire as UTF-8 bytes, as a client would send them.
    const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const RESUME_IDS: [string, string][] = [
      ['negative', '-1'],
      ['below int64', '-9223372036854775809'],
      ['just past int64', '9223372036854775808'],
      ['far past int64', '9'.repeat(40)],
      ['past every event', '999999999999999'],
      ['in exponent form', '1e3'],
      ['hexadecimal', '0x10'],
      ['padded', '  7  '],
      ['not a number', 'abc'],
      ['Arabic-Indic digits', utf8('٣٤')],
      ['an emoji', utf8('🙂')],
      ['very long', '7'.repeat(8_000)],
      ['empty', ''],
    ];
    const QUERY_IDS: [string, string][] = [
      ...RESUME_IDS.filter(([name]) => name !== 'very long' && name !== 'Arabic-Indic digits' && name !== 'an emoji').map(
        ([name, value]): [string, string] => [name, encodeURIComponent(value)],
      ),
      ['Arabic-Indic digits', encodeURIComponent('٣٤')],
      ['an emoji', encodeURIComponent('🙂')],
      ['a NUL', '%00'],
      ['an encoded lone surrogate (invalid UTF-8)', '%ED%A0%80'],
      ['an invalid UTF-8 byte', '%FF'],
      ['very long', '7'.repeat(5_000)],
      ['two values', '7&lastEventId=8'],
    ];

    beforeAll(async () => {
      const created = await api(t.url, 'POST', '/api/jobs', { goal: GOAL, repo: '/srv/repos/shop' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      jobId = created.body.id;
      expect((await api(t.url, 'POST', `/api/jobs/${jobId}/cancel`)).status).toBe(200);
      conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'resume ids' })).body.id;
      const full = await stream(`${t.url}/api/jobs/${jobId}/stream`, {}, (events) => events.some((e) => e.event === 'complete'));
      jobEventIds = full.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
      expect(jobEventIds.length).toBeGreaterThan(0);
      // The job's notifications are written in batches just after its events: wait for the table to settle.
      maxEventId = await settledEventId(db, 300, 10_000);
    });

    const endpoints = () => [
      { name: 'job stream', path: `/api/jobs/${jobId}/stream`, query: true, first: 'snapshot' },
      { name: 'event stream', path: `/api/events/stream?jobId=${jobId}`, query: true, first: 'snapshot' },
      { name: 'chat stream', path: `/api/chat/stream?conversationId=${conversationId}`, query: true, first: 'snapshot' },
      { name: 'notification stream', path: '/api/notifications/stream', query: true, first: 'snapshot' },
      { name: 'metrics stream', path: '/api/metrics/stream', query: false, first: 'metrics' },
    ];

    /** A 400 with a code, or a stream that starts as documented from a position that exists. */
    function expectSaneStart(result: StreamResult, first: string, what: string): void {
      if (result.status === 400) {
        expect(result.body?.error?.code, what).toMatch(/^[a-z_]+$/);
        return;
      }
      expect(result.status, what).toBe(200);
      expect(result.events[0]?.event, what).toBe(first);
      const position = result.events[0].data?.lastEventId;
      if (typeof position === 'number') expect(position, what).toBeLessThanOrEqual(maxEventId);
    }

    it('answers every malformed Last-Event-ID header on every SSE endpoint with a stream from a sane position, never a 5xx or a hang', async () => {
      for (const endpoint of endpoints()) {
        for (const [name, value] of RESUME_IDS) {
          const result = await stream(`${t.url}${endpoint.path}`, { 'last-event-id': value }, (events) => events.length > 0);
          expectSaneStart(result, endpoint.first, `${endpoint.name}, Last-Event-ID ${name}`);
        }
        const twice = await stream(
          `${t.url}${endpoint.path}`,
          [
            ['last-event-id', '7'],
            ['last-event-id', '8'],
          ],
          (events) => events.length > 0,
        );
        expectSaneStart(twice, endpoint.first, `${endpoint.name}, Last-Event-ID twice`);
      }
    });

    it('answers every malformed lastEventId query parameter with a 400 and a code or a stream from a sane position', async () => {
      for (const endpoint of endpoints().filter((e) => e.query)) {
        for (const [name, value] of QUERY_IDS) {
          const url = `${t.url}${endpoint.path}${endpoint.path.includes('?') ? '&' : '?'}lastEventId=${value}`;
          const result = await stream(url, {}, (events) => events.length > 0);
          expectSaneStart(result, endpoint.first, `${endpoint.name}, lastEventId ${name}`);
        }
      }
    });

    it('resumes a finished job from the start or from the newest event, then completes: never a gap, never a stream that waits forever', async () => {
      for (const [name, value] of [...RESUME_IDS, ['a real id', String(jobEventIds[0])] as [string, string]]) {
        const result = await stream(`${t.url}/api/jobs/${jobId}/stream`, { 'last-event-id': value }, (events) =>
          events.some((e) => e.event === 'complete'),
        );
        const ids = result.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
        // What is sent is everything after some point: a suffix of the job's events, in order.
        expect(ids, name).toEqual(jobEventIds.slice(jobEventIds.length - ids.length));
        expect(result.events.at(-1)?.event, name).toBe('complete');
        expect(result.events.at(-1)?.data.lastEventId, name).toBeLessThanOrEqual(maxEventId);
      }
      const resumed = await stream(`${t.url}/api/jobs/${jobId}/stream`, { 'last-event-id': String(jobEventIds[0]) }, (events) =>
        events.some((e) => e.event === 'complete'),
      );
      expect(resumed.events.filter((e) => e.id !== undefined).map((e) => Number(e.id))).toEqual(jobEventIds.slice(1));
    });

    it('sends live events to a client that resumed from past the newest event', async () => {
      const client = new SseClient(`${t.url}/api/events/stream`, { 'last-event-id': '999999999999999' });
      try {
        const [snapshot] = await client.until((messages) => messages.length > 0);
        expect(snapshot.data.lastEventId).toBeLessThan(999_999_999_999_999);
        const created = await api(t.url, 'POST', '/api/jobs', { goal: GOAL, repo: '/srv/repos/shop' });
        await client.until((messages) => messages.some((m) => m.event === 'status' && m.data.jobId === created.body.id));
      } finally {
        client.close();
      }
    });
  });

  describe('huge and deep bodies', () => {
    const healthy = async () => {
      const started = Date.now();
      expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
      const job = await api(t.url, 'POST', '/api/jobs', { goal: GOAL, repo: '/srv/repos/shop' });
      expect(job.status, JSON.stringify(job.body)).toBe(201);
      expect(Date.now() - started).toBeLessThan(5_000);
    };

    it('refuses a 20 MB JSON body with 413 payload_too_large, with or without a Content-Length, and stays responsive', async () => {
      const huge = JSON.stringify({ goal: GOAL, repo: '/srv/repos/shop', padding: 'x'.repeat(20 * MB) });
      const refused = await api(t.url, 'POST', '/api/jobs', huge);
      expectRefused(refused, 413);
      expect(refused.body.error.code).toBe('payload_too_large');
      const chunks = scale(20, 100);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < chunks; i++)
            controller.enqueue(new TextEncoder().encode(i === 0 ? `{"goal":"${'x'.repeat(MB - 9)}` : 'x'.repeat(MB)));
          controller.close();
        },
      });
      const chunked = await fetch(`${t.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect((await chunked.json()).error.code).toBe('payload_too_large');
      await healthy();
    });

    it('refuses JSON nested 100,000 levels deep with 400 validation_failed instead of overflowing the stack', async () => {
      const levels = 100_000;
      const objects = `${'{"goal":'.repeat(levels)}1${'}'.repeat(levels)}`;
      const arrays = `${'['.repeat(levels)}${']'.repeat(levels)}`;
      const inField = `{"goal":"${GOAL}","repo":"/srv/repos/shop","priority":${'['.repeat(levels)}${']'.repeat(levels)}}`;
      for (const [path, body] of [
        ['/api/jobs', objects],
        ['/api/jobs', arrays],
        ['/api/jobs', inField],
        ['/api/truthpacks/verify', `{"pack":${objects}}`],
        ['/api/tdln/parse', objects],
      ]) {
        const res = await api(t.url, 'POST', path, body, { 'content-type': 'application/json' });
        expectRefused(res, 400);
        expect(res.body.error.code).toBe('validation_failed');
      }
      await healthy();
    });

    it('refuses a huge goal, a huge array and 50,000 fields quickly with a short 400', async () => {
      const before = await counts();
      const started = Date.now();
      const bodies: unknown[] = [
        { goal: `${GOAL} ${'x'.repeat(900_000)}`, repo: '/srv/repos/shop' },
        { goal: GOAL, repo: '/srv/repos/shop', tags: Array.from({ length: 200_000 }, () => 0) },
        Object.fromEntries([['goal', GOAL], ['repo', '/srv/repos/shop'], ...Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1])]),
      ];
      for (const body of bodies) {
        const res = await api(t.url, 'POST', '/api/jobs', body);
        expectRefused(res, 400);
        expect(JSON.stringify(res.body).length).toBeLessThan(20_000);
      }
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await counts()).toEqual(before);
      await healthy();
    });
  });

  describe('text in every stored field', () => {
    it.each(STORABLE)('stores a goal and a repository path with %s and returns them exactly', async (_name, text) => {
      const goal = `${GOAL} ${text}`;
      const repo = `/srv/repos/${text.slice(0, 1_000)}`;
      const created = await api(t.url, 'POST', '/api/jobs', { goal, repo });
      if (created.status !== 201) {
        // The engine may refuse what it reads as dangerous (a path to /etc): a clear 4xx, never a 5xx.
        expectRefused(created);
        expect(['policy_blocked', 'unparseable_request']).toContain(created.body.error.code);
        return;
      }
      const read = await api(t.url, 'GET', `/api/jobs/${created.body.id}`);
      expect(read.body.goal).toBe(goal);
      expect(read.body.repo).toBe(repo);
      const row = (await db.query('SELECT goal, repo FROM jobs WHERE id = $1', [created.body.id])).rows[0];
      expect(row).toEqual({ goal, repo });
      // The event of its creation and its ledger entry (hashed over the exact text) carry it too.
      const events = await api(t.url, 'GET', `/api/events?jobId=${created.body.id}`);
      expect(events.body.items.find((e: { data: { goal?: string } }) => e.data.goal !== undefined)?.data).toMatchObject({ goal, repo });
      const ledger = await api(t.url, 'GET', `/api/jobs/${created.body.id}/ledger`);
      expect(ledger.body.find((e: { data: { goal?: string } }) => e.data.goal !== undefined)?.data).toMatchObject({ goal, repo });
    });

    it.each(STORABLE.filter(([, text]) => text.length <= 100))(
      'stores a conversation title, a message, a chat message and a token name with %s exactly',
      async (_name, text) => {
        const conversation = await api(t.url, 'POST', '/api/conversations', { title: text, defaultRepo: `/srv/repos/${text}` });
        expect(conversation.status, JSON.stringify(conversation.body)).toBe(201);
        expect(conversation.body).toMatchObject({ title: text, defaultRepo: `/srv/repos/${text}` });
        const note = await api(t.url, 'POST', '/api/messages', { conversationId: conversation.body.id, content: text });
        expect(note.status, JSON.stringify(note.body)).toBe(201);
        const said = await api(t.url, 'POST', '/api/chat', { conversationId: conversation.body.id, message: text });
        expect(said.status, JSON.stringify(said.body)).toBe(202);
        const messages = await api(t.url, 'GET', `/api/messages?conversationId=${conversation.body.id}`);
        expect(messages.body.items.filter((m: { content: string }) => m.content === text)).toHaveLength(2);
        // The Coordinator answers in the background; let it finish so later counts see a quiet database.
        await waitFor(
          async () =>
            (await api(t.url, 'GET', `/api/messages?conversationId=${conversation.body.id}`)).body.items.some(
              (m: { role: string }) => m.role === 'assistant',
            ),
          15_000,
          'the coordinator reply',
        );
        const token = await api(t.url, 'POST', '/api/tokens', { name: text, scopes: ['read'] });
        expect(token.status, JSON.stringify(token.body)).toBe(201);
        expect((await api(t.url, 'GET', '/api/tokens')).body.find((k: { id: string }) => k.id === token.body.id)?.name).toBe(text);
        const parsed = await api(t.url, 'POST', '/api/tdln/parse', { text: `${GOAL} ${text}` });
        expect(parsed.status).toBe(200);
      },
    );

    it.each(UNSTORABLE)(
      'refuses %s in every text field with 400 validation_failed naming the field, and stores nothing',
      async (_name, text) => {
        const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'for bad text' })).body.id;
        const before = await counts();
        const requests: [string, string, unknown, string][] = [
          ['POST', '/api/jobs', { goal: `${GOAL} ${text}`, repo: '/srv/repos/shop' }, 'goal'],
          ['POST', '/api/jobs', { goal: GOAL, repo: `/srv/repos/${text}` }, 'repo'],
          ['POST', '/api/jobs', { goal: GOAL, repo: '/srv/repos/shop', baseRef: `main${text}` }, 'baseRef'],
          ['POST', '/api/conversations', { title: text }, 'title'],
          ['POST', '/api/conversations', { defaultRepo: `/srv/${text}` }, 'defaultRepo'],
          ['POST', '/api/messages', { conversationId, content: text }, 'content'],
          ['POST', '/api/chat', { conversationId, message: text }, 'message'],
          ['POST', '/api/chat', { message: GOAL, repo: `/srv/${text}` }, 'repo'],
          ['POST', '/api/tokens', { name: text, scopes: ['read'] }, 'name'],
          ['POST', '/api/tdln/parse', { text }, 'text'],
          ['POST', '/api/truthpacks/verify', { pack: { [text]: text } }, 'pack'],
        ];
        for (const [method, path, body, field] of requests) {
          const res = await api(t.url, method, path, body);
          expectRefused(res, 400);
          expect(res.body.error.code, `${method} ${path} ${field}`).toBe('validation_failed');
          expect(res.body.error.details.problems.map((p: { field: string }) => p.field).join(' '), `${method} ${path}`).toContain(field);
        }
        expect(await counts()).toEqual(before);
      },
    );

    it('refuses NUL in query strings with 400 validation_failed instead of handing it to PostgreSQL', async () => {
      for (const path of [
        '/api/events?type=%00',
        '/api/ledger?kind=a%00b',
        '/api/jobs?cursor=%00',
        `/api/messages?conversationId=${randomUUID()}&cursor=x%00`,
        '/api/events/stream?lastEventId=%00',
      ]) {
        const res = await api(t.url, 'GET', path);
        expectRefused(res, 400);
        expect(res.body.error.code, path).toBe('validation_failed');
      }
    });

    it('refuses unstorable text in signed webhooks with a 400, and survives odd but signed GitHub payloads', async () => {
      for (const [, text] of UNSTORABLE) {
        const payload = {
          goal: `${GOAL} ${text}`,
          repo: '/srv/repos/shop',
          deliveryId: randomUUID(),
          timestamp: Math.floor(Date.now() / 1_000),
        };
        const body = JSON.stringify(payload);
        const generic = await api(t.url, 'POST', '/api/webhooks/generic', body, {
          'content-type': 'application/json',
          'x-aict-signature': hmac(GENERIC_SECRET, `${payload.timestamp}.${body}`),
        });
        expectRefused(generic, 400);
      }
      const github = (payload: unknown) => {
        const body = JSON.stringify(payload);
        return api(t.url, 'POST', '/api/webhooks/github', body, {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': hmac(GITHUB_SECRET, body),
        });
      };
      // Labelled by a maintainer (a trusted sender), so the payload's text is what is judged.
      const labeled = (
        issue: unknown,
        repository: unknown = { full_name: 'acme/shop' },
        sender: unknown = { login: 'maintainer', type: 'User' },
      ) => ({
        action: 'labeled',
        label: { name: 'aict' },
        issue,
        repository,
        sender,
      });
      for (const [, text] of UNSTORABLE) {
        const res = await github(labeled({ title: `Login ${text}`, body: GOAL }));
        expectRefused(res, 400);
        expect(res.body.error.code).toBe('webhook_invalid_payload');
      }
      for (const payload of [
        labeled({ title: 5, body: { text: GOAL } }),
        labeled({ title: ['x'], body: GOAL }, { full_name: 'constructor', clone_url: ['https://example.com/x.git'] }),
        labeled({ title: GOAL }, { full_name: '__proto__' }),
        labeled({ title: `${'🙂'.repeat(4_999)}x🙂🙂`, body: GOAL }),
        // Senders and associations of the wrong shape are not trusted, and never a 500.
        labeled({ title: GOAL, user: 'maintainer', author_association: ['OWNER'] }, { full_name: 'acme/shop' }, 'maintainer'),
        labeled({ title: GOAL }, { full_name: 'acme/shop' }, { login: ['maintainer'], type: { toString: 'User' } }),
        labeled({ title: GOAL, user: { login: 5 }, author_association: { OWNER: true } }, { full_name: 'acme/shop' }, null),
        {
          action: 'labeled',
          label: { name: 'aict' },
          issue: { title: GOAL },
          repository: { full_name: 'acme/shop' },
          sender: { login: 'constructor' },
        },
        // Text PostgreSQL cannot store (NUL, a lone surrogate) in the fields an ignored delivery records.
        labeled(
          { title: GOAL, user: { login: 'reporter' }, author_association: 'NONE\u0000' },
          { full_name: 'acme/\u0000shop' },
          {
            login: 'evil\u0000',
            type: 'User',
          },
        ),
        {
          ...labeled({ title: GOAL, user: { login: 'evil\ud800' }, author_association: 'OWNER' }),
          action: 'labeled',
          sender: { login: 'evil\ud800' },
        },
        [1, 2, 3],
        'just a string',
        null,
      ]) {
        const res = await github(payload);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
        if (res.status >= 400) expectRefused(res);
      }
    });
  });

  describe('paths and raw HTTP', () => {
    it('answers traversal in URL paths with a 4xx and never serves a file from outside the dashboard', async () => {
      for (const path of [
        '/../../package.json',
        '/assets/../../../package.json',
        '/..%2f..%2fpackage.json',
        '/%2e%2e/%2e%2e/package.json',
        '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
        '/api/jobs/../../../etc/passwd',
        '/api/jobs/..%2f..%2fetc%2fpasswd/ledger',
        '/api/jobs/%2e%2e/stream',
      ]) {
        for (const accept of ['text/html', 'application/json']) {
          const res = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: ${accept}\r\nConnection: close\r\n\r\n`);
          expect(res.status, `${path} ${accept}`).toBeLessThan(500);
          expect(res.text).not.toContain('"name": "ai-coding-team"');
          expect(res.text).not.toContain('root:x:0:0');
        }
      }
    });

    it('answers malformed URLs and headers with the error envelope: bad escapes 400, control characters 400, huge headers 431', async () => {
      for (const path of ['/api/jobs/%', '/api/jobs?cursor=%E0%A4%A', '/%ff%fe', '/api/events/stream?jobId=%zz']) {
        const res = await api(t.url, 'GET', path);
        expectRefused(res, 400);
      }
      const control = await rawRequest(
        port,
        Buffer.concat([Buffer.from('GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Evil: a\u0001b\r\n\r\n', 'latin1')]),
      );
      expect(control.status).toBe(400);
      expect(JSON.parse(control.text.slice(control.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_request');
      const huge = await rawRequest(port, `GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(huge.status).toBe(431);
      expect(JSON.parse(huge.text.slice(huge.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('headers_too_large');
      const forged = await api(
        t.url,
        'GET',
        `/api/jobs?cursor=${Buffer.from(JSON.stringify(['2026-02-30T00:00:00.000Z', 'x'])).toString('base64url')}`,
      );
      expectRefused(forged, 400);
      expect(forged.body.error.code).toBe('invalid_cursor');
    });
  });

  it('keeps the ledger intact and the server ready after all of it', async () => {
    expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
    const verified = await api(t.url, 'GET', '/api/ledger/verify');
    expect(verified.body).toMatchObject({ ok: true, firstBadSeq: null });
    expect(verified.body.checked).toBeGreaterThan(10);
  });
});
