#!/usr/bin/env node
// API throughput: autocannon against the real server (`node dist/apps/server/src/main.js`, ROLE=api,
// access control on: every request but the probes carries a bearer token) on an embedded
// PostgreSQL, for a fixed time per endpoint mix. Peers on the same machine, for ceiling ratios:
// a bare Fastify 5 hello-world (vs GET /api/health/live: what Nest, the hooks and the guards cost)
// and a bare Fastify 5 + pg reading one job row (vs GET /api/jobs/{id}: what the full stack costs
// over the same query). Each server is a process of its own; autocannon runs in this one.
//
//   npm run build && node bench/api/run.mjs
//
// Env: BENCH_API_SECONDS (10 per mix), BENCH_API_CONNECTIONS (16), BENCH_API_MIXES (comma list of
// mix names, default all), BENCH_API_SEED_JOBS (200).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(join(root, 'package.json'));

const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

// ---------------------------------------------------------------------------------------------
// Peer servers (child modes of this script)

if (process.argv[2] === 'peer-hello' || process.argv[2] === 'peer-pg') {
  const fastify = require('fastify')({ logger: false });
  const port = Number(process.argv[3]);
  if (process.argv[2] === 'peer-hello') {
    fastify.get('/', async () => ({ hello: 'world' }));
  } else {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: process.argv[4], max: 10 });
    fastify.get('/jobs/:id', async (request, reply) => {
      const { rows } = await pool.query('SELECT * FROM jobs WHERE id = $1', [request.params.id]);
      if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
      return rows[0];
    });
  }
  await fastify.listen({ port, host: '127.0.0.1' });
  process.send?.('ready');
} else {
  await main();
}

async function main() {
  const mainJs = join(root, 'dist/apps/server/src/main.js');
  if (!existsSync(mainJs)) {
    console.error(`Missing ${mainJs}: run \`npm run build\` first.`);
    process.exit(2);
  }
  const autocannon = require('autocannon');
  const { startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));
  const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
  const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 16);
  const SEED_JOBS = Number(process.env.BENCH_API_SEED_JOBS ?? 200);
  const only = process.env.BENCH_API_MIXES?.split(',');
  const TOKEN = `aict_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const log = (...args) => console.error(...args);

  const work = mkdtempSync(join(tmpdir(), 'aict-bench-api-'));
  chmodSync(work, 0o777);
  const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'bench' });
  const children = [];
  const startChild = async (args, env, readyUrl) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    children.push(child);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${stderr.slice(-2000)}`);
      const ok = await fetch(readyUrl).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) return child;
      if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const loadAverage = Math.round(loadavg()[0] * 100) / 100;
  const results = [];
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    await startChild(
      [mainJs],
      {
        DATABASE_URL: db.url,
        DATA_DIR: join(work, 'data'),
        PORT: String(port),
        HOST: '127.0.0.1',
        ROLE: 'api',
        LOG_LEVEL: 'warn',
        AUTH_BOOTSTRAP_TOKEN: TOKEN,
        RATE_LIMIT_DEFAULT: '1000000/60',
        RATE_LIMIT_WRITE: '1000000/60',
      },
      `${base}/api/health/ready`,
    );

    // Something to read: jobs (each with its ledger entries and events).
    const ids = [];
    const goal = (i) => ({ goal: `fix the bug in src/bench${i}.ts`, repo: '/srv/bench', mode: 'mechanic' });
    let seeded = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (seeded < SEED_JOBS) {
          const i = seeded++;
          const r = await fetch(`${base}/api/jobs`, { method: 'POST', headers: json, body: JSON.stringify(goal(i)) });
          if (r.status !== 201) throw new Error(`seeding: ${r.status} ${await r.text()}`);
          ids.push((await r.json()).id);
        }
      }),
    );
    let created = 0;
    let read = 0;
    const byId = (prefix) => ({
      method: 'GET',
      path: prefix,
      headers: auth,
      setupRequest: (r) => ({ ...r, path: `${prefix}/${ids[read++ % ids.length]}` }),
    });
    const create = {
      method: 'POST',
      path: '/api/jobs',
      headers: json,
      setupRequest: (r) => ({ ...r, body: JSON.stringify(goal(SEED_JOBS + created++)) }),
    };
    const get = (path) => ({ method: 'GET', path, headers: auth });

    const peerHelloPort = await freePort();
    const peerPgPort = await freePort();
    const mixes = [
      {
        name: 'health-live',
        what: 'GET /api/health/live (no database, no token)',
        url: base,
        requests: [{ method: 'GET', path: '/api/health/live' }],
      },
      {
        name: 'health-ready',
        what: 'GET /api/health/ready (one query)',
        url: base,
        requests: [{ method: 'GET', path: '/api/health/ready' }],
      },
      { name: 'job', what: 'GET /api/jobs/{id}', url: base, requests: [byId('/api/jobs')] },
      { name: 'jobs', what: 'GET /api/jobs?limit=20', url: base, requests: [get('/api/jobs?limit=20')] },
      { name: 'events', what: 'GET /api/events?limit=50', url: base, requests: [get('/api/events?limit=50')] },
      { name: 'ledger', what: 'GET /api/ledger?limit=20', url: base, requests: [get('/api/ledger?limit=20')] },
      { name: 'metrics', what: 'GET /api/metrics', url: base, requests: [get('/api/metrics')] },
      {
        name: 'parse',
        what: 'POST /api/tdln/parse',
        url: base,
        requests: [
          {
            method: 'POST',
            path: '/api/tdln/parse',
            headers: json,
            body: JSON.stringify({ text: 'fix the failing login test in src/auth.ts' }),
          },
        ],
      },
      { name: 'create', what: 'POST /api/jobs (parse, policy, insert, ledger, event)', url: base, requests: [create] },
      {
        name: 'mix',
        what: 'dashboard mix: 8 reads to 2 writes (the load test’s)',
        url: base,
        requests: [
          get('/api/jobs?limit=20'),
          byId('/api/jobs'),
          get('/api/events?limit=50'),
          { method: 'GET', path: '/api/health/ready' },
          create,
          byId('/api/jobs'),
          get('/api/metrics'),
          get('/api/ledger?limit=20'),
          {
            method: 'POST',
            path: '/api/tdln/parse',
            headers: json,
            body: JSON.stringify({ text: 'fix the failing login test in src/auth.ts' }),
          },
          get('/api/notifications?limit=20'),
        ],
      },
      {
        name: 'peer-fastify-hello',
        what: 'bare Fastify 5: GET / → {hello:"world"}',
        peer: ['peer-hello', String(peerHelloPort)],
        url: `http://127.0.0.1:${peerHelloPort}`,
        requests: [{ method: 'GET', path: '/' }],
      },
      {
        name: 'peer-fastify-pg-job',
        what: 'bare Fastify 5 + pg: SELECT * FROM jobs WHERE id = $1',
        peer: ['peer-pg', String(peerPgPort), db.url],
        url: `http://127.0.0.1:${peerPgPort}`,
        requests: [{ method: 'GET', path: '/jobs', setupRequest: (r) => ({ ...r, path: `/jobs/${ids[read++ % ids.length]}` }) }],
      },
    ].filter((m) => !only || only.includes(m.name));

    for (const mix of mixes) {
      if (mix.peer) await startChild([fileURLToPath(import.meta.url), ...mix.peer], {}, `${mix.url}/`);
      log(`${mix.name}: ${mix.what} — ${CONNECTIONS} connections, ${SECONDS} s`);
      const r = await autocannon({ url: mix.url, connections: CONNECTIONS, duration: SECONDS, requests: mix.requests, timeout: 10 });
      const row = {
        name: mix.name,
        what: mix.what,
        peer: Boolean(mix.peer),
        requests: r.requests.total,
        reqPerSec: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
      };
      results.push(row);
      log(
        `  ${row.reqPerSec} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, timeouts ${row.timeouts}, non-2xx ${row.non2xx}`,
      );
    }
    const verify = await (await fetch(`${base}/api/ledger/verify`, { headers: auth })).json();
    if (!verify.ok) throw new Error(`the ledger does not verify after the run: ${JSON.stringify(verify)}`);
    log(`ledger: ${verify.checked} entries verified`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r)))));
    await db.stop();
    rmSync(work, { recursive: true, force: true });
  }

  // A partial run (BENCH_API_MIXES) keeps the other mixes of the stored run.
  const file = join(here, 'last-run.json');
  let all = results;
  if (only && existsSync(file)) {
    const previous = JSON.parse(readFileSync(file, 'utf8')).results;
    all = previous.map((r) => results.find((x) => x.name === r.name) ?? r);
    all.push(...results.filter((r) => !previous.some((x) => x.name === r.name)));
  }
  const of = (name) => all.find((r) => r.name === name);
  const ratio = (a, b) => (of(a) && of(b) ? Math.round((of(a).reqPerSec / of(b).reqPerSec) * 1000) / 1000 : null);
  const ratios = {
    healthLiveOverFastifyHello: ratio('health-live', 'peer-fastify-hello'),
    jobOverFastifyPgJob: ratio('job', 'peer-fastify-pg-job'),
  };
  console.log(`\n| mix | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---|---|---|---|---|`);
  for (const r of all) console.log(`| ${r.name} | ${r.reqPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.timeouts} | ${r.non2xx} |`);
  console.log(
    `\nceiling ratios (req/s, ours/peer): health-live/fastify-hello ${ratios.healthLiveOverFastifyHello}, job/fastify+pg ${ratios.jobOverFastifyPgJob}`,
  );
  const out = {
    at: new Date().toISOString(),
    env: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      seedJobs: SEED_JOBS,
      cpus: cpus().length,
      loadAverage,
      node: process.version,
      auth: 'bearer token on every route but the probes',
    },
    results: all,
    ratios,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.exit(0);
}
