// One process of the ledger benchmark (see run.mjs). MODE:
//   merkle  — appends through LedgerService.appendWith (one entry per transaction) for the window, as a real
//             server process does, with its own sequencer candidate;
//   chain   — appends the way the ledger did before the Merkle log (transaction advisory lock, read the head,
//             hash-chain, insert), into a table of the old shape, for the side-by-side figure;
//   verify  — runs LedgerService.verify() once and reports its time and this process's peak RSS.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Pool } = require('pg');
const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
const { loadConfig, createLogger } = require(join(root, 'dist/libs/common/src/index.js'));
const { LedgerService, hashLedgerEntry, GENESIS_HASH } = require(join(root, 'dist/libs/ledger/src/index.js'));

const { MODE, DATABASE_URL, DATA_DIR, SIGNING_KEY } = process.env;
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const CHAIN_LOCK = 71_000_002;
const send = (message) => process.send?.(message);
const rssMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

const draft = (i) => ({
  kind: 'job.status',
  actor: 'worker',
  jobId: '6f1c2a9e-4b7d-4e2a-9c1f-0a1b2c3d4e5f',
  summary: 'queued → running',
  data: { from: 'queued', to: 'running', attempt: 1, i },
});

async function openApp() {
  const config = loadConfig({
    AUTH: 'off',
    DATABASE_URL,
    DATA_DIR,
    TRUTHPACK_SIGNING_KEY: SIGNING_KEY,
    LOG_LEVEL: 'silent',
    PORT: '0',
    ROLE: 'api',
  });
  const app = await createApp(config, createLogger('silent'));
  await app.init();
  return app;
}

async function appendLoop(appendOne) {
  const pool = new Pool({ connectionString: DATABASE_URL, max: CONCURRENCY });
  send({ ready: true });
  await new Promise((go) => process.once('message', go));
  const deadline = performance.now() + SECONDS * 1000;
  let count = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < deadline) {
          await client.query('BEGIN');
          await appendOne(client, n++);
          await client.query('COMMIT');
          count++;
        }
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
  return count;
}

if (MODE === 'merkle') {
  const app = await openApp();
  const ledger = app.get(LedgerService);
  const count = await appendLoop((client, i) => ledger.appendWith(client, [draft(i)]));
  send({ count, rssMb: rssMb() });
  // Stay up (and a sequencer candidate) until told to stop.
  await new Promise((stop) => process.once('message', stop));
  await app.close();
} else if (MODE === 'chain') {
  const count = await appendLoop(async (client, i) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    const { rows } = await client.query('SELECT seq, hash FROM bench_chain ORDER BY seq DESC LIMIT 1');
    const d = draft(i);
    const content = {
      seq: rows[0] ? Number(rows[0].seq) + 1 : 1,
      ts: new Date().toISOString(),
      kind: d.kind,
      actor: d.actor,
      jobId: d.jobId,
      conversationId: null,
      traceId: null,
      summary: d.summary,
      data: d.data,
      prevHash: rows[0]?.hash ?? GENESIS_HASH,
    };
    await client.query(
      `INSERT INTO bench_chain (seq, ts, kind, actor, job_id, summary, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        content.seq,
        content.ts,
        content.kind,
        content.actor,
        content.jobId,
        content.summary,
        content.data,
        content.prevHash,
        hashLedgerEntry(content),
      ],
    );
  });
  send({ count, rssMb: rssMb() });
  await new Promise((stop) => process.once('message', stop));
} else if (MODE === 'verify') {
  const app = await openApp();
  const ledger = app.get(LedgerService);
  const before = rssMb();
  const t0 = performance.now();
  const result = await ledger.verify({ waitMs: 0 });
  const seconds = (performance.now() - t0) / 1000;
  send({ result, seconds, rssBeforeMb: before, rssPeakMb: rssMb(), heapAfterMb: Math.round(process.memoryUsage().heapUsed / 1048576) });
  await app.close();
}
process.exit(0);
