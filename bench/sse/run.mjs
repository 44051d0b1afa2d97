// SSE fan-out: one server process holding 1,000 and 10,000 subscribers of GET /api/events/stream.
// Prints the delivery latency p50/p99 from an event's commit to its arrival at every subscriber,
// and the server's memory per connection. Subscribers run in a child process so the server's
// memory is its own. Usage: npm run build && node bench/sse/run.mjs  (BENCH_SSE_COUNTS=1000,10000)
import { fork } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const here = dirname(new URL(import.meta.url).pathname);

if (process.argv[2] === 'clients') {
  // Child: open N subscribers, report when all got the snapshot, then report each event's arrival times.
  const http = await import('node:http');
  const [, , , url, countText] = process.argv;
  const count = Number(countText);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let ready = 0;
  const arrivals = new Map();
  // Connect in waves: ten thousand simultaneous SYNs overflow the listen backlog and get reset.
  const WAVE = 250;
  const open = (i) => {
    if (i >= count) return;
    const waveEnd = Math.min(count, i + WAVE);
    const waveReady = ready + (waveEnd - i);
    const check = setInterval(() => {
      if (ready >= waveReady) {
        clearInterval(check);
        open(waveEnd);
      }
    }, 5);
    for (let j = i; j < waveEnd; j++) subscribe();
  };
  const subscribe = () =>
    http
      .get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          let at;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (block.includes('event: snapshot')) {
              if (++ready === count) process.send({ ready: true });
            } else if (block.includes('event: event')) {
              const now = performance.timeOrigin + performance.now();
              const sentAt = Number(/"sentAt":([\d.]+)/.exec(block)?.[1]);
              const key = String(sentAt);
              const list = arrivals.get(key) ?? [];
              list.push(now - sentAt);
              arrivals.set(key, list);
              if (list.length === count) process.send({ event: key, latencies: list });
            }
          }
        });
      })
      .on('error', (error) => process.send({ error: error.message }));
  open(0);
  process.on('message', (m) => m === 'exit' && process.exit(0));
} else {
  const require = createRequire(import.meta.url);
  const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
  const { loadConfig, createLogger, startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));
  const { EventsService } = require(join(root, 'dist/libs/events/src/index.js'));
  const counts = (process.env.BENCH_SSE_COUNTS ?? '1000,10000').split(',').map(Number);
  const EVENTS = Number(process.env.BENCH_SSE_EVENTS ?? 20);
  const freePort = () =>
    new Promise((ok) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => ok(p));
      });
    });
  const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

  const work = mkdtempSync(join(tmpdir(), 'aict-bench-sse-'));
  chmodSync(work, 0o777);
  const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'bench' });
  const config = loadConfig({
    DATABASE_URL: db.url,
    DATA_DIR: join(work, 'data'),
    LOG_LEVEL: 'silent',
    PORT: '0',
    ROLE: 'api',
    AUTH: 'off',
    HOST: '127.0.0.1',
    RATE_LIMIT_DEFAULT: '1000000/60',
  });
  const app = await createApp(config, createLogger('silent'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}/api/events/stream`;
  const events = app.get(EventsService);
  const results = [];
  try {
    for (const count of counts) {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const child = fork(new URL(import.meta.url).pathname, ['clients', url, String(count)], { stdio: 'inherit' });
      const inbox = [];
      let wake;
      child.on('message', (m) => {
        inbox.push(m);
        wake?.();
      });
      const next = async (predicate) => {
        for (;;) {
          const i = inbox.findIndex(predicate);
          if (i >= 0) return inbox.splice(i, 1)[0];
          if (inbox.some((m) => m.error)) throw new Error(inbox.find((m) => m.error).error);
          await new Promise((r) => (wake = r));
        }
      };
      await next((m) => m.ready);
      const rssHeld = process.memoryUsage().rss - before;
      const latencies = [];
      for (let e = 0; e < EVENTS; e++) {
        const sentAt = performance.timeOrigin + performance.now();
        await events.recordNow([{ type: 'bench', summary: 'fan-out', data: { sentAt } }]);
        const done = await next((m) => m.event === String(sentAt));
        latencies.push(...done.latencies);
      }
      child.send('exit');
      await new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, 500));
      results.push({
        subscribers: count,
        events: EVENTS,
        deliveries: latencies.length,
        p50Ms: +q(latencies, 0.5).toFixed(2),
        p99Ms: +q(latencies, 0.99).toFixed(2),
        maxMs: +latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(2),
        rssPerConnectionKiB: +(rssHeld / count / 1024).toFixed(1),
      });
      console.log(
        `${count} subscribers: fan-out p50 ${results.at(-1).p50Ms} ms, p99 ${results.at(-1).p99Ms} ms (commit → delivery, ${latencies.length} deliveries); server memory ${results.at(-1).rssPerConnectionKiB} KiB per connection`,
      );
    }
  } finally {
    await app.close();
    await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(here, 'last-run.json'), `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`);
  process.exit(0);
}
