#!/usr/bin/env node
// Queue benchmark: our PostgreSQL job queue (the real Nest app, through dist/) against pg-boss v10
// and graphile-worker v0.17 (plain and with its local queue), on ONE embedded PostgreSQL server,
// each system in a database of its own. See bench/queue/README.md.
//
//   npm run build && node bench/queue/run.mjs
//
// Env: BENCH_JOBS (default 5000), BENCH_TRICKLE_RATE (100/s), BENCH_TRICKLE_SECONDS (5),
//      BENCH_GW_LOCAL_QUEUE_SIZE (default 4 x concurrency), BENCH_PGBOSS_WORK_SECONDS (4),
//      BENCH_PORT (default: a free port), BENCH_KEEP_DIR=1 (keep the cluster directory).
import { createRequire } from 'node:module';
import { mkdtempSync, chmodSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(join(root, 'package.json'));
const dist = (p) => {
  const file = join(root, 'dist', p);
  if (!existsSync(file)) {
    console.error(`Missing ${file}: run \`npm run build\` first.`);
    process.exit(2);
  }
  return require(file);
};

require('reflect-metadata');
const { Client } = require('pg');
const PgBoss = require('pg-boss');
const graphile = require('graphile-worker');
const { createApp } = dist('apps/server/src/create-app.js');
const { loadConfig, createLogger, startEmbeddedDatabase } = dist('libs/common/src/index.js');
const { JobHandlerRegistry, QueueRepository } = dist('libs/worker/src/index.js');
const { CreateJobUseCase } = dist('libs/jobs/src/index.js');
const { EvaluationService } = dist('libs/evaluation/src/index.js');

// ---------------------------------------------------------------------------------------------
// Settings

const intEnv = (key, fallback) => {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} must be a positive integer (got "${raw}")`);
  return n;
};
const N = intEnv('BENCH_JOBS', 5_000);
const TRICKLE_RATE = intEnv('BENCH_TRICKLE_RATE', 100);
const TRICKLE_SECONDS = intEnv('BENCH_TRICKLE_SECONDS', 5);
const PGBOSS_WORK_SECONDS = intEnv('BENCH_PGBOSS_WORK_SECONDS', 4);
const CONCURRENCIES = [4, 16];
/** Worker concurrency for the pick-up latency trickle: the largest, so no system is saturated by 100 jobs/s. */
const LATENCY_CONCURRENCY = 16;
const PARALLEL_ENQUEUERS = 16;
const BATCH = 1_000;
const DRAIN_TIMEOUT_MS = intEnv('BENCH_DRAIN_TIMEOUT_MS', 120_000);
const gwLocalQueueSize = (c) => intEnv('BENCH_GW_LOCAL_QUEUE_SIZE', 4 * c);
const TARGET_P50_MS = 1.5;

const now = () => performance.now();
/** Process CPU (all of this Node process: enqueuer, worker, pg client) in ms since `from`. */
const cpuMs = (from) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.error(`[${((now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...args);
const T0 = now();

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}
function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] ?? null, mean };
}
const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

async function withClient(url, fn) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Polls a count query on ONE connection (opened before the clock starts: a connect per poll costs
 * a backend fork and a SCRAM exchange that blocks the event loop) until it reaches zero; returns
 * the time it was first seen at zero.
 */
async function waitForZero(url, sql, params = [], ready = () => true, timeoutMs = DRAIN_TIMEOUT_MS, intervalMs = 5) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // Until every job has reached its handler, watch the in-process counter only: a count(*) every
    // few ms on the queue table would compete with the system under test (it did: ~20 % of a core).
    const deadline = now() + timeoutMs;
    while (!ready() && now() < deadline) await sleep(2);
    return await pollZero(async () => Number((await client.query(sql, params)).rows[0].n), timeoutMs, intervalMs);
  } finally {
    await client.end();
  }
}
async function pollZero(count, timeoutMs, intervalMs) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const left = await count();
    if (left === 0) return { at: now(), left: 0, timedOut: false };
    if (now() > deadline) return { at: now(), left, timedOut: true };
    await sleep(intervalMs);
  }
}

/** Runs `total` calls of `fn(i)` with at most `parallel` in flight; returns elapsed ms. */
async function runParallel(total, parallel, fn) {
  let next = 0;
  const start = now();
  const cpu0 = process.cpuUsage();
  lastCpuMs = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, total) }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  lastCpuMs = cpuMs(cpu0);
  return now() - start;
}
let lastCpuMs = 0;
const enqueueResult = (n, ms, cpu, how) => ({
  jobs: n,
  ms: round(ms, 1),
  jobsPerSec: round((n / ms) * 1000, 1),
  nodeCpuMsPerJob: round(cpu / n, 3),
  how,
});

/**
 * Enqueues a trickle at `rate`/s for `seconds` (not waiting for one call before the next) and
 * returns, per job, the time its enqueue call returned; `starts` is filled by the handler.
 */
async function trickle(enqueue, starts, rate = TRICKLE_RATE, seconds = TRICKLE_SECONDS) {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const returned = new Map();
  const pending = [];
  const begin = now();
  for (let i = 0; i < total; i++) {
    const due = begin + i * interval;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    pending.push(
      enqueue(i).then((id) => {
        returned.set(String(id), now());
      }),
    );
  }
  await Promise.all(pending);
  const deadline = now() + 10_000;
  while (starts.size < total && now() < deadline) await sleep(20);
  const latencies = [];
  let negative = 0;
  for (const [id, t] of returned) {
    const s = starts.get(id);
    if (s === undefined) continue;
    if (s < t) negative++;
    latencies.push(s - t);
  }
  return { ...summarize(latencies), enqueued: total, started: starts.size, negative };
}

function throughputResult(n, firstStart, done, startCall, cpu0) {
  const ms = done.at - firstStart;
  return {
    nodeCpuMsPerJob: cpu0 ? round(cpuMs(cpu0) / Math.max(1, n - done.left), 3) : null,
    jobs: n - (done.left ?? 0),
    completed: !done.timedOut,
    ms: round(ms, 1),
    jobsPerSec: round(((n - done.left) / ms) * 1000, 1),
    msIncludingStartup: round(done.at - startCall, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// The database server

async function startServer() {
  const parent = mkdtempSync(join(tmpdir(), 'aict-queue-bench-'));
  chmodSync(parent, 0o777);
  const dir = join(parent, 'pg');
  const port = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) : await freePort();
  log(`starting embedded PostgreSQL on port ${port} in ${dir}`);
  let db = await startEmbeddedDatabase({ dir, port, database: 'bench_admin' });
  // pg_stat_statements needs shared_preload_libraries: set it and restart once.
  await withClient(db.url, (c) => c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`));
  await db.stop();
  db = await startEmbeddedDatabase({ dir, port, database: 'bench_admin' });
  const server = await withClient(db.url, async (c) => {
    const [{ server_version }] = (await c.query('SHOW server_version')).rows;
    const settings = (
      await c.query(
        `SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers','synchronous_commit','fsync','max_connections','wal_level','shared_preload_libraries')`,
      )
    ).rows;
    return { version: server_version, settings: Object.fromEntries(settings.map((r) => [r.name, r.setting])) };
  });
  const urlFor = (name) => {
    const u = new URL(db.url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const createDatabase = async (name) => {
    await withClient(db.url, (c) => c.query(`CREATE DATABASE ${name}`));
    await withClient(urlFor(name), (c) => c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
    return urlFor(name);
  };
  return {
    server,
    port,
    createDatabase,
    stop: async () => {
      await db.stop();
      if (!process.env.BENCH_KEEP_DIR) rmSync(parent, { recursive: true, force: true });
    },
  };
}

async function topStatements(url, limit = 12) {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows,
              regexp_replace(left(query, 160), '\\s+', ' ', 'g') AS query
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    );
    const [{ calls, total }] = (
      await c.query(
        `SELECT sum(calls)::bigint AS calls, round(sum(total_exec_time)::numeric, 1) AS total FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )
    ).rows;
    return {
      totalCalls: Number(calls),
      totalExecMs: Number(total),
      top: rows.map((r) => ({
        ...r,
        calls: Number(r.calls),
        rows: Number(r.rows),
        total_ms: Number(r.total_ms),
        mean_ms: Number(r.mean_ms),
      })),
    };
  });
}
const resetStatements = (url) => withClient(url, (c) => c.query('SELECT pg_stat_statements_reset()'));

// ---------------------------------------------------------------------------------------------
// Ours

const OUR_ENV = {
  LOG_LEVEL: 'silent',
  PORT: '0',
  WORKER_HEARTBEAT_MS: '5000',
  WORKER_LEASE_MS: '30000',
};

async function ourApp(url, env) {
  const config = loadConfig({ ...OUR_ENV, DATABASE_URL: url, ...env });
  const app = await createApp(config, createLogger(config.logLevel));
  return app;
}

/** Wraps the repository's claim/finish to time them (the bench's own instrumentation; nothing in the library changes). */
function instrument(repo) {
  const stats = { claim: [], claimRows: [], finish: [], finishRows: [] };
  for (const name of ['claim', 'finish']) {
    const original = repo[name].bind(repo);
    repo[name] = async (...args) => {
      const t = now();
      const out = await original(...args);
      stats[name].push(now() - t);
      stats[`${name}Rows`].push(out.length);
      return out;
    };
  }
  return () => ({
    claim: {
      ...mapRound(summarize(stats.claim)),
      totalMs: round(
        stats.claim.reduce((a, b) => a + b, 0),
        1,
      ),
      meanBatch: round(stats.claimRows.reduce((a, b) => a + b, 0) / (stats.claimRows.length || 1)),
      emptyClaims: stats.claimRows.filter((r) => r === 0).length,
    },
    finish: {
      ...mapRound(summarize(stats.finish)),
      totalMs: round(
        stats.finish.reduce((a, b) => a + b, 0),
        1,
      ),
      meanBatch: round(stats.finishRows.reduce((a, b) => a + b, 0) / (stats.finishRows.length || 1)),
    },
  });
}
const mapRound = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v, 3) : v]));

const CLAIM_SQL = `WITH picked AS (
   SELECT id FROM jobs
    WHERE status = 'queued' AND mode = ANY($1::text[]) AND run_after <= now()
    ORDER BY priority DESC, created_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
 )
 UPDATE jobs j
    SET status = 'running', worker_id = $3, lease_expires_at = now() + $4 * interval '1 millisecond',
        heartbeat_at = now(), started_at = coalesce(j.started_at, now()), updated_at = now()
   FROM picked
  WHERE j.id = picked.id
 RETURNING j.*`;

/** A worker app whose finished jobs queue no evaluation (the Evaluator's jobs would be work beside the measured queue). */
function noopWorker(worker) {
  worker.get(EvaluationService).enqueueFor = async () => undefined;
  return worker.get(JobHandlerRegistry);
}

async function benchOurs(server) {
  const url = await server.createDatabase('bench_ours');
  const out = { name: 'ours', enqueue: {}, throughput: {}, latency: null, diagnostics: {} };
  const api = await ourApp(url, { ROLE: 'api' });
  await api.init();
  const createJob = api.get(CreateJobUseCase);
  // No-op jobs: the team's handler is replaced and the Evaluator switched off (see noopWorker), so only the queue is measured.
  const command = (i) => ({
    goal: `fix the bug in src/noop${i}.ts`,
    repo: '/srv/bench/noop',
    mode: 'mechanic',
    source: 'system',
    actor: 'system',
  });
  const OPEN_JOBS = `SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')`;
  const openJobs = () => withClient(url, async (c) => Number((await c.query(OPEN_JOBS)).rows[0].n));
  // warm-up (connection pool, prepared paths), then drop nothing: these few jobs are drained with the first batch
  for (let i = 0; i < 20; i++) await createJob.execute(command(-1));
  await resetStatements(url);

  for (const c of CONCURRENCIES) {
    // (a) enqueue, which is also the pre-fill for the drain at this concurrency
    if (c === CONCURRENCIES[0]) {
      const ms = await runParallel(N, 1, (i) => createJob.execute(command(i)));
      out.enqueue.single = enqueueResult(N, ms, lastCpuMs, 'CreateJobUseCase.execute, one call at a time');
      out.diagnostics.pgStatStatementsEnqueue = await topStatements(url, 10);
      log(`ours: enqueue single ${out.enqueue.single.jobsPerSec} jobs/s`);
    } else {
      const ms = await runParallel(N, PARALLEL_ENQUEUERS, (i) => createJob.execute(command(i)));
      out.enqueue.parallel = enqueueResult(
        N,
        ms,
        lastCpuMs,
        `CreateJobUseCase.execute, ${PARALLEL_ENQUEUERS} calls in flight (no batch API)`,
      );
      log(`ours: enqueue ${PARALLEL_ENQUEUERS} in flight ${out.enqueue.parallel.jobsPerSec} jobs/s`);
      const explain = () =>
        withClient(url, async (cl) => {
          await cl.query('BEGIN');
          try {
            const { rows } = await cl.query(`EXPLAIN (ANALYZE, BUFFERS) ${CLAIM_SQL}`, [['mechanic', 'genius'], 8, 'bench-explain', 30000]);
            return rows.map((r) => r['QUERY PLAN']);
          } finally {
            await cl.query('ROLLBACK');
          }
        });
      out.diagnostics.explainClaim = await explain();
      await withClient(url, (cl) => cl.query('ANALYZE jobs'));
      out.diagnostics.explainClaimAfterAnalyze = await explain();
      await resetStatements(url);
    }
    const queued = await openJobs();
    // (b) drain
    const worker = await ourApp(url, { ROLE: 'worker', WORKER_CONCURRENCY: String(c) });
    let firstStart = null;
    let handled = 0;
    noopWorker(worker).replace('coordinator', {
      handle: async () => {
        firstStart ??= now();
        handled++;
        return { status: 'succeeded' };
      },
    });
    const timings = instrument(worker.get(QueueRepository));
    const startCall = now();
    const cpu0 = process.cpuUsage();
    await worker.init();
    const done = await waitForZero(url, OPEN_JOBS, [], () => handled >= queued);
    out.throughput[`c${c}`] = { ...throughputResult(queued, firstStart, done, startCall, cpu0), queued };
    out.diagnostics[`c${c}`] = timings();
    await worker.close();
    log(`ours: drain c${c} ${out.throughput[`c${c}`].jobsPerSec} jobs/s`, JSON.stringify(out.diagnostics[`c${c}`]));
    if (c === CONCURRENCIES[CONCURRENCIES.length - 1]) out.diagnostics.pgStatStatements = await topStatements(url);
  }
  out.diagnostics.failed = await withClient(url, async (c) =>
    Number((await c.query(`SELECT count(*) AS n FROM jobs WHERE status <> 'succeeded'`)).rows[0].n),
  );

  // (c) pick-up latency: a worker idle on LISTEN, a trickle from the API app in the same process
  const starts = new Map();
  const worker = await ourApp(url, { ROLE: 'worker', WORKER_CONCURRENCY: String(LATENCY_CONCURRENCY) });
  noopWorker(worker).replace('coordinator', {
    handle: async (ctx) => {
      starts.set(ctx.job.id, now());
      return { status: 'succeeded' };
    },
  });
  await worker.init();
  await sleep(300);
  out.latency = await trickle(async (i) => (await createJob.execute(command(i))).id, starts);
  log(`ours: pick-up p50 ${round(out.latency.p50, 3)} ms p99 ${round(out.latency.p99, 3)} ms`);
  await worker.close();
  await api.close();
  return out;
}

// ---------------------------------------------------------------------------------------------
// pg-boss v10

async function benchPgBoss(server) {
  const url = await server.createDatabase('bench_pgboss');
  const out = { name: 'pg-boss', enqueue: {}, throughput: {}, latency: null, diagnostics: {} };
  const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false, max: 10 });
  boss.on('error', (e) => log('pg-boss error', e.message));
  await boss.start();
  const OPEN_JOBS = `SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`;

  for (const c of CONCURRENCIES) {
    const q = `noop_c${c}`;
    await boss.createQueue(q);
    if (c === CONCURRENCIES[0]) {
      await boss.createQueue('warmup');
      for (let i = 0; i < 20; i++) await boss.send('warmup', {});
      const ms = await runParallel(N, 1, (i) => boss.send(q, { i }));
      out.enqueue.single = enqueueResult(N, ms, lastCpuMs, 'send(), one call at a time');
      log(`pg-boss: enqueue single ${out.enqueue.single.jobsPerSec} jobs/s`);
    } else {
      const start = now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < N; i += BATCH)
        await boss.insert(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => ({ name: q, data: { i: i + k } })));
      const ms = now() - start;
      out.enqueue.batch = enqueueResult(N, ms, cpuMs(cpu0), `insert() in batches of ${BATCH}`);
      log(`pg-boss: enqueue batch ${out.enqueue.batch.jobsPerSec} jobs/s`);
    }
    // (b) drain with c loops of fetch(1) -> handler -> complete: the library's claim and complete SQL
    // back to back. work() in v10 sleeps (pollingInterval - duration) after every fetch, so it is
    // measured separately below.
    let firstStart = null;
    let handled = 0;
    let stop = false;
    const startCall = now();
    const cpu0 = process.cpuUsage();
    const loops = Array.from({ length: c }, async () => {
      while (!stop) {
        const jobs = await boss.fetch(q, { batchSize: 1 });
        if (!jobs || jobs.length === 0) {
          await sleep(5);
          continue;
        }
        firstStart ??= now();
        handled += jobs.length;
        await Promise.resolve(); // the no-op handler
        await boss.complete(
          q,
          jobs.map((j) => j.id),
        );
      }
    });
    const done = await waitForZero(url, OPEN_JOBS, [q], () => handled >= N);
    stop = true;
    await Promise.all(loops);
    out.throughput[`c${c}`] = {
      ...throughputResult(N, firstStart, done, startCall, cpu0),
      how: `${c} loops of fetch(batchSize 1) + complete()`,
    };
    log(`pg-boss: drain c${c} ${out.throughput[`c${c}`].jobsPerSec} jobs/s`);
  }

  // work() as shipped: c workers x batchSize 1 at the minimum polling interval (0.5 s), time-boxed
  out.diagnostics.work = {};
  for (const c of CONCURRENCIES) {
    const q = `work_c${c}`;
    await boss.createQueue(q);
    const prefill = Math.min(N, Math.ceil(c * 2 * PGBOSS_WORK_SECONDS * 3));
    await boss.insert(Array.from({ length: prefill }, (_, i) => ({ name: q, data: { i } })));
    let handled = 0;
    let firstStart = null;
    const ids = [];
    for (let k = 0; k < c; k++) {
      ids.push(
        await boss.work(q, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async () => {
          firstStart ??= now();
          handled++;
        }),
      );
    }
    await sleep(PGBOSS_WORK_SECONDS * 1000);
    const elapsed = now() - (firstStart ?? now());
    const count = handled;
    await boss.offWork(q);
    out.diagnostics.work[`c${c}`] = {
      jobsPerSec: round((count / elapsed) * 1000, 1),
      handled: count,
      seconds: PGBOSS_WORK_SECONDS,
      how: `${c} x work(batchSize 1, pollingIntervalSeconds 0.5)`,
    };
    log(`pg-boss: work() c${c} ${out.diagnostics.work[`c${c}`].jobsPerSec} jobs/s (time-boxed)`);
  }

  // (c) pick-up latency: one idle work() polling every 0.5 s (the minimum; pg-boss v10 has no
  // LISTEN), batchSize 100 so that it keeps up with the trickle (batchSize 1 would do 2 jobs/s).
  const starts = new Map();
  await boss.createQueue('latency');
  await boss.work('latency', { batchSize: 100, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    const t = now();
    for (const job of jobs) starts.set(String(job.id), t);
  });
  await sleep(600);
  out.latency = await trickle((i) => boss.send('latency', { i }), starts);
  log(`pg-boss: pick-up p50 ${round(out.latency.p50, 3)} ms p99 ${round(out.latency.p99, 3)} ms`);
  await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
  return out;
}

// ---------------------------------------------------------------------------------------------
// graphile-worker v0.17

const quietLogger = new graphile.Logger(() => () => {});

async function benchGraphile(server, { localQueue }) {
  const name = localQueue ? 'graphile-worker+localQueue' : 'graphile-worker';
  const url = await server.createDatabase(localQueue ? 'bench_graphile_lq' : 'bench_graphile');
  const out = { name, enqueue: {}, throughput: {}, latency: null, diagnostics: {} };
  const utils = await graphile.makeWorkerUtils({ connectionString: url, logger: quietLogger });
  await utils.migrate();
  const OPEN_JOBS = 'SELECT count(*) AS n FROM graphile_worker._private_jobs';
  const runner = async (c, task) =>
    graphile.run({
      connectionString: url,
      concurrency: c,
      noHandleSignals: true,
      pollInterval: 2_000,
      logger: quietLogger,
      taskList: { noop: task },
      ...(localQueue ? { preset: { worker: { localQueue: { size: gwLocalQueueSize(c) } } } } : {}),
    });

  for (let i = 0; i < 20; i++) await utils.addJob('warmup', {});
  await withClient(url, (c) => c.query('DELETE FROM graphile_worker._private_jobs'));
  for (const c of CONCURRENCIES) {
    if (c === CONCURRENCIES[0]) {
      const ms = await runParallel(N, 1, (i) => utils.addJob('noop', { i }));
      out.enqueue.single = enqueueResult(N, ms, lastCpuMs, 'addJob(), one call at a time');
    } else {
      const start = now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < N; i += BATCH)
        await utils.addJobs(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => ({ identifier: 'noop', payload: { i: i + k } })));
      const ms = now() - start;
      out.enqueue.batch = enqueueResult(N, ms, cpuMs(cpu0), `addJobs() in batches of ${BATCH}`);
    }
    let firstStart = null;
    const startCall = now();
    const cpu0 = process.cpuUsage();
    let handled = 0;
    const r = await runner(c, async () => {
      firstStart ??= now();
      handled++;
    });
    const done = await waitForZero(url, OPEN_JOBS, [], () => handled >= N);
    await r.stop();
    out.throughput[`c${c}`] = {
      ...throughputResult(N, firstStart, done, startCall, cpu0),
      ...(localQueue ? { localQueueSize: gwLocalQueueSize(c) } : {}),
    };
    log(
      `${name}: enqueue ${JSON.stringify(Object.fromEntries(Object.entries(out.enqueue).map(([k, v]) => [k, v.jobsPerSec])))} drain c${c} ${out.throughput[`c${c}`].jobsPerSec} jobs/s`,
    );
  }

  const starts = new Map();
  const r = await runner(LATENCY_CONCURRENCY, async (_payload, helpers) => {
    starts.set(String(helpers.job.id), now());
  });
  await sleep(300);
  out.latency = await trickle(async (i) => (await utils.addJob('noop', { i })).id, starts);
  log(`${name}: pick-up p50 ${round(out.latency.p50, 3)} ms p99 ${round(out.latency.p99, 3)} ms`);
  await r.stop();
  await utils.release();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

function report(results, env) {
  const [ours, ...peers] = results;
  const metrics = [
    { key: 'enqueue single', get: (r) => r.enqueue.single?.jobsPerSec, unit: 'jobs/s', higher: true },
    { key: 'enqueue batch/parallel', get: (r) => (r.enqueue.batch ?? r.enqueue.parallel)?.jobsPerSec, unit: 'jobs/s', higher: true },
    { key: 'throughput c4', get: (r) => r.throughput.c4?.jobsPerSec, unit: 'jobs/s', higher: true },
    { key: 'throughput c16', get: (r) => r.throughput.c16?.jobsPerSec, unit: 'jobs/s', higher: true },
    { key: 'pick-up p50', get: (r) => r.latency?.p50, unit: 'ms', higher: false },
    { key: 'pick-up p99', get: (r) => r.latency?.p99, unit: 'ms', higher: false },
    { key: 'node CPU/job, drain c16', get: (r) => r.throughput.c16?.nodeCpuMsPerJob, unit: 'ms', higher: false },
  ];
  const fmt = (v) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const cols = ['metric', 'unit', ...results.map((r) => r.name), ...peers.map((p) => `ours/${p.name}`)];
  const rows = metrics.map((m) => [
    m.key,
    m.unit + (m.higher ? ' ↑' : ' ↓'),
    ...results.map((r) => fmt(m.get(r))),
    ...peers.map((p) => {
      const a = m.get(ours);
      const b = m.get(p);
      return a && b ? `${(a / b).toFixed(2)}x` : '—';
    }),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log('');
  console.log(`Queue benchmark — N=${N} jobs, PostgreSQL ${env.postgres.version}, Node ${process.version}, ${env.cpus} CPU(s)`);
  console.log('(↑ higher is better, ↓ lower is better; ours/peer > 1 on ↑ rows and < 1 on ↓ rows favour ours)');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(
    'enqueue batch/parallel: ours has no batch API -> 16 concurrent CreateJobUseCase calls; pg-boss insert(), graphile addJobs() in batches of 1000.',
  );
  console.log('pg-boss throughput = c loops of fetch()+complete(); its work() API sleeps up to pollingInterval after each fetch:');
  for (const [k, v] of Object.entries(peers.find((p) => p.name === 'pg-boss')?.diagnostics.work ?? {}))
    console.log(`  pg-boss work() ${k}: ${v.jobsPerSec} jobs/s (${v.how})`);

  const best = Math.max(...peers.map((p) => p.throughput.c16?.jobsPerSec ?? 0));
  const bestPeer = peers.find((p) => p.throughput.c16?.jobsPerSec === best)?.name;
  const targets = {
    throughputC16: {
      ours: ours.throughput.c16?.jobsPerSec ?? null,
      bestPeer,
      bestPeerValue: best,
      pass: (ours.throughput.c16?.jobsPerSec ?? 0) >= best,
    },
    pickupP50: { ours: round(ours.latency?.p50, 3), targetMs: TARGET_P50_MS, pass: (ours.latency?.p50 ?? Infinity) < TARGET_P50_MS },
  };
  console.log('');
  console.log('Targets:');
  console.log(
    `  throughput c16 >= best peer (${bestPeer} ${best} jobs/s): ours ${targets.throughputC16.ours} jobs/s -> ${targets.throughputC16.pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(`  pick-up p50 < ${TARGET_P50_MS} ms: ours ${targets.pickupP50.ours} ms -> ${targets.pickupP50.pass ? 'PASS' : 'FAIL'}`);
  console.log(
    `  (trickle: ${TRICKLE_RATE} jobs/s for ${TRICKLE_SECONDS} s, workers at concurrency ${LATENCY_CONCURRENCY}; started/enqueued: ${results.map((r) => `${r.name} ${r.latency?.started}/${r.latency?.enqueued}`).join(', ')})`,
  );
  const d = ours.diagnostics;
  console.log('');
  console.log('Ours, where the time goes (client-side timing of QueueRepository.claim / finish transactions):');
  for (const c of CONCURRENCIES) {
    const x = d[`c${c}`];
    if (!x) continue;
    console.log(
      `  c${c}: claim n=${x.claim.n} p50 ${x.claim.p50} ms, total ${x.claim.totalMs} ms, mean batch ${x.claim.meanBatch}, empty ${x.claim.emptyClaims}; finish n=${x.finish.n} p50 ${x.finish.p50} ms, total ${x.finish.totalMs} ms, mean batch ${x.finish.meanBatch}`,
    );
  }
  if (d.pgStatStatementsEnqueue) {
    console.log(
      `  pg_stat_statements (ours, single enqueue of ${N}): ${d.pgStatStatementsEnqueue.totalCalls} statements, ${d.pgStatStatementsEnqueue.totalExecMs} ms server exec time (wall ${ours.enqueue.single.ms} ms, Node CPU ${round(ours.enqueue.single.nodeCpuMsPerJob * N, 0)} ms)`,
    );
  }
  for (const key of ['explainClaim', 'explainClaimAfterAnalyze']) {
    const plan = d[key];
    if (!plan) continue;
    const scan = plan.find((l) => /Scan using|Seq Scan/.test(l) && !/jobs_pkey/.test(l))?.trim();
    const rows = plan[plan.findIndex((l) => /Scan using|Seq Scan/.test(l) && !/jobs_pkey/.test(l))]?.match(/rows=([\d.]+) loops/)?.[1];
    console.log(
      `  EXPLAIN ANALYZE claim (${N}+ queued${key.endsWith('Analyze') ? ', after ANALYZE' : ''}): ${plan.find((l) => l.startsWith('Execution Time'))}; ${scan?.replace(/\s+\(cost.*$/, '')} reads ${rows} rows`,
    );
  }
  if (d.pgStatStatements) {
    console.log(
      `  pg_stat_statements (ours, drain c16 only): ${d.pgStatStatements.totalCalls} statements, ${d.pgStatStatements.totalExecMs} ms server exec time; top:`,
    );
    for (const s of d.pgStatStatements.top.slice(0, 8))
      console.log(
        `    ${String(s.total_ms).padStart(8)} ms ${String(s.calls).padStart(6)} calls ${String(s.mean_ms).padStart(7)} ms/call  ${s.query.slice(0, 90)}`,
      );
  }
  return {
    metrics: Object.fromEntries(
      metrics.map((m) => [
        m.key,
        {
          unit: m.unit,
          higherIsBetter: m.higher,
          values: Object.fromEntries(results.map((r) => [r.name, m.get(r) ?? null])),
          oursOverPeer: Object.fromEntries(peers.map((p) => [p.name, m.get(ours) && m.get(p) ? round(m.get(ours) / m.get(p), 3) : null])),
        },
      ]),
    ),
    targets,
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const server = await startServer();
  const env = {
    postgres: server.server,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    jobs: N,
    trickle: { rate: TRICKLE_RATE, seconds: TRICKLE_SECONDS },
    startedAt: new Date().toISOString(),
  };
  const results = [];
  try {
    // BENCH_ONLY_OURS=1 skips the peers (for quick iterations; the report then has no ratios).
    results.push(await benchOurs(server));
    if (process.env.BENCH_ONLY_OURS !== '1') {
      results.push(await benchPgBoss(server));
      results.push(await benchGraphile(server, { localQueue: false }));
      results.push(await benchGraphile(server, { localQueue: true }));
    }
  } finally {
    // Peers' pools may still hold idle connections; the server going away is expected now.
    process.on('uncaughtException', (e) => {
      if (!/terminating connection|Connection terminated/.test(String(e?.message))) throw e;
    });
    await server.stop().catch((e) => log('stopping PostgreSQL failed', e.message));
  }
  const summary = report(results, env);
  const file = join(here, process.env.BENCH_ONLY_OURS === '1' ? 'last-run-ours.json' : 'last-run.json');
  mkdirSync(here, { recursive: true });
  writeFileSync(file, JSON.stringify({ env, durationSeconds: round((now() - T0) / 1000, 1), ...summary, results }, null, 2) + '\n');
  console.log(`\nwrote ${file} (${round((now() - T0) / 1000, 1)} s)`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
