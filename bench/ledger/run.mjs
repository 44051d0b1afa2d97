#!/usr/bin/env node
// Ledger benchmark: appends per second with 3 processes appending at once (each a real server process
// with its own sequencer candidate, one entry per transaction, CONCURRENCY transactions in flight per
// process), side by side with the hash chain the ledger was before (a transaction advisory lock, the
// head read, the insert) run the same way in the same PostgreSQL; then the time `verify` takes over
// a large log, in a fresh process, with that process's peak RSS to show memory stays flat.
//
//   npm run build && node bench/ledger/run.mjs            (quick: verify over 10,000 and 100,000 entries)
//   BENCH_LEDGER_FULL=1 node bench/ledger/run.mjs         (verify over 100,000 and 1,000,000 entries)
//
// Env: BENCH_LEDGER_SECONDS (append window, default 10), BENCH_LEDGER_CONCURRENCY (per process, default 8),
//      BENCH_LEDGER_ENTRIES (largest verify size; overrides the mode's), BENCH_LEDGER_VERIFY_HEAP_MB (the verify
//      process's --max-old-space-size, default 128).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const here = dirname(new URL(import.meta.url).pathname);
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);
if (!existsSync(join(root, 'dist/apps/server/src/create-app.js'))) {
  console.error('Missing dist/: run `npm run build` first.');
  process.exit(2);
}
const { Client } = require('pg');
const { startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));

const intEnv = (key, fallback) => {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} must be a positive integer (got "${raw}")`);
  return n;
};
const FULL = process.env.BENCH_LEDGER_FULL === '1';
const SECONDS = intEnv('BENCH_LEDGER_SECONDS', 10);
const CONCURRENCY = intEnv('BENCH_LEDGER_CONCURRENCY', 8);
const APPENDERS = 3;
const LARGEST = intEnv('BENCH_LEDGER_ENTRIES', FULL ? 1_000_000 : 100_000);
const SIZES = [Math.max(1_000, Math.round(LARGEST / 10)), LARGEST];
const INSERT_CHUNK = 50_000;
const VERIFY_HEAP_MB = intEnv('BENCH_LEDGER_VERIFY_HEAP_MB', 128);
const T0 = performance.now();
const log = (...args) => console.error(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });

const work = mkdtempSync(join(tmpdir(), 'aict-bench-ledger-'));
chmodSync(work, 0o777);
const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'bench' });
const signingKey = randomBytes(32).toString('hex');
const children = new Set();

function start(mode, name, extra = {}, execArgv = []) {
  const child = fork(join(here, 'worker.mjs'), [], {
    execArgv,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MODE: mode,
      DATABASE_URL: db.url,
      DATA_DIR: join(work, name),
      SIGNING_KEY: signingKey,
      SECONDS: String(SECONDS),
      CONCURRENCY: String(CONCURRENCY),
      ...extra,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const messages = [];
  const waiters = [];
  child.on('message', (m) => (waiters.length ? waiters.shift()(m) : messages.push(m)));
  const next = () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r)));
  const exited = new Promise((r) => child.on('exit', r));
  return { child, next, exited };
}

const sql = new Client({ connectionString: db.url });
const result = {
  at: new Date().toISOString(),
  full: FULL,
  env: {
    cores: cpus().length,
    appenders: APPENDERS,
    concurrency: CONCURRENCY,
    seconds: SECONDS,
    verifyHeapMb: VERIFY_HEAP_MB,
    node: process.version,
  },
};
try {
  // --- appends: the Merkle log, 3 processes at once ---------------------------------------------
  const merkle = [];
  for (let i = 0; i < APPENDERS; i++) {
    merkle.push(start('merkle', `merkle-${i}`));
    // One at a time: the first runs the migrations.
    await merkle[i].next();
  }
  await sql.connect();
  log(`merkle: ${APPENDERS} processes x ${CONCURRENCY} transactions in flight, ${SECONDS} s`);
  const pending = async () => (await sql.query('SELECT count(*)::int AS n FROM ledger WHERE leaf_index IS NULL')).rows[0].n;
  for (const m of merkle) m.child.send('go');
  let maxPending = 0;
  const window = performance.now();
  const counts = merkle.map((m) => m.next());
  while (performance.now() - window < SECONDS * 1000) {
    maxPending = Math.max(maxPending, await pending());
    await sleep(100);
  }
  const merkleDone = await Promise.all(counts);
  const windowEnd = performance.now();
  while ((await pending()) > 0) await sleep(2);
  const drainMs = performance.now() - windowEnd;
  const total = merkleDone.reduce((a, m) => a + m.count, 0);
  result.merkle = {
    appendsPerSecond: Math.round(total / SECONDS),
    perProcess: merkleDone.map((m) => Math.round(m.count / SECONDS)),
    entries: total,
    maxPendingDuringWindow: maxPending,
    drainMsAfterWindow: Math.round(drainMs),
    treeHeads: (await sql.query('SELECT count(*)::int AS n FROM ledger_tree_heads')).rows[0].n,
  };
  log(
    `merkle: ${result.merkle.appendsPerSecond} appends/s (${result.merkle.perProcess.join(' + ')}); sequencer backlog max ${maxPending}, drained ${result.merkle.drainMsAfterWindow} ms after the window`,
  );

  // --- appends: the old hash chain, the same way -------------------------------------------------
  await sql.query(`CREATE TABLE bench_chain (seq bigint PRIMARY KEY, ts timestamptz NOT NULL, kind text NOT NULL, actor text NOT NULL,
    job_id uuid, summary text NOT NULL, data jsonb NOT NULL, prev_hash text NOT NULL, hash text NOT NULL UNIQUE)`);
  const chain = [];
  for (let i = 0; i < APPENDERS; i++) chain.push(start('chain', `chain-${i}`));
  await Promise.all(chain.map((c) => c.next()));
  log(`chain: ${APPENDERS} processes x ${CONCURRENCY} transactions in flight, ${SECONDS} s`);
  for (const c of chain) c.child.send('go');
  const chainDone = await Promise.all(chain.map((c) => c.next()));
  const chainTotal = chainDone.reduce((a, m) => a + m.count, 0);
  result.chain = { appendsPerSecond: Math.round(chainTotal / SECONDS), perProcess: chainDone.map((m) => Math.round(m.count / SECONDS)) };
  result.merkleOverChain = Math.round((result.merkle.appendsPerSecond / result.chain.appendsPerSecond) * 100) / 100;
  log(`chain: ${result.chain.appendsPerSecond} appends/s; merkle/chain ${result.merkleOverChain}x`);
  for (const c of chain) c.child.send('stop');
  await Promise.all(chain.map((c) => c.exited));

  // --- verify over a large log -------------------------------------------------------------------
  // One appender stays up as the sequencer (a candidate takes over within a second of the others going).
  for (const m of merkle.slice(1)) m.child.send('stop');
  await Promise.all(merkle.slice(1).map((m) => m.exited));
  result.verify = [];
  for (const size of SIZES) {
    let have = (await sql.query('SELECT count(*)::int AS n FROM ledger')).rows[0].n;
    const target = Math.max(size, have);
    log(`inserting ${target - have} entries (log of ${target})`);
    const insertStart = performance.now();
    while (have < target) {
      const n = Math.min(INSERT_CHUNK, target - have);
      await sql.query(
        `INSERT INTO ledger (ts, kind, actor, job_id, summary, data)
         SELECT date_trunc('milliseconds', now()) + g * interval '1 millisecond', 'job.status', 'worker', gen_random_uuid(), 'queued → running',
                jsonb_build_object('from', 'queued', 'to', 'running', 'attempt', 1, 'i', g)
           FROM generate_series(1, $1::int) g`,
        [n],
      );
      have += n;
    }
    const sequenceStart = performance.now();
    const inserted = target - (result.verify.at(-1)?.entries ?? total);
    while ((await pending()) > 0) await sleep(20);
    const sequencingSeconds = (performance.now() - sequenceStart) / 1000;
    log(`sequenced in ${sequencingSeconds.toFixed(1)} s (insert took ${((sequenceStart - insertStart) / 1000).toFixed(1)} s); verifying`);
    // A capped old space makes flat memory a pass/fail matter: a verify that held the log would die here.
    const v = start('verify', 'verify', {}, [`--max-old-space-size=${VERIFY_HEAP_MB}`]);
    const out = await v.next();
    await v.exited;
    if (!out.result.ok) throw new Error(`verify failed: ${JSON.stringify(out.result)}`);
    result.verify.push({
      entries: out.result.checked,
      seconds: Math.round(out.seconds * 100) / 100,
      entriesPerSecond: Math.round(out.result.checked / out.seconds),
      treeHeads: out.result.treeHeadsChecked,
      rssBeforeMb: out.rssBeforeMb,
      rssPeakMb: out.rssPeakMb,
      sequencedPerSecond: inserted > 0 ? Math.round(inserted / sequencingSeconds) : null,
    });
    log(
      `verify: ${out.result.checked} entries in ${out.seconds.toFixed(2)} s; peak RSS ${out.rssPeakMb} MB (${out.rssBeforeMb} MB before verify)`,
    );
  }
  merkle[0].child.send('stop');
  await merkle[0].exited;
} finally {
  for (const child of children) child.kill('SIGKILL');
  await sql.end().catch(() => undefined);
  await db.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

console.log('\nLedger');
console.log(
  `  appends/s, ${APPENDERS} processes at once: Merkle log ${result.merkle.appendsPerSecond}, old hash chain ${result.chain.appendsPerSecond} (${result.merkleOverChain}x)`,
);
for (const v of result.verify) {
  console.log(
    `  verify ${v.entries} entries: ${v.seconds} s (${v.entriesPerSecond}/s), peak RSS ${v.rssPeakMb} MB (${v.rssBeforeMb} MB before)`,
  );
}
writeFileSync(join(here, 'last-run.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
