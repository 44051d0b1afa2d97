// Agent orchestration overhead: a 20-step scripted job end to end with the fake model answering
// instantly. Prints the time per step spent outside the model and outside the tools themselves
// (budget reservation and settlement, events, checkpoints, policy, transcript handling), and the
// share of input tokens served from the prompt cache after the first step.
// Usage: npm run build && node bench/agent/run.mjs   (BENCH_AGENT_STEPS, default 20; BENCH_AGENT_RUNS, default 3)
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);
const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
const { loadConfig, createLogger, startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));
const { startFakeModel } = require(join(root, 'dist/test/fake-model/fake-model-server.js'));
const { reply, toolUse } = require(join(root, 'dist/test/fake-model/scenario.js'));

const STEPS = Number(process.env.BENCH_AGENT_STEPS ?? 20);
const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 3);
const TARGET_OVERHEAD_MS = 5; // issue 18
const TARGET_CACHE_SHARE = 0.8;

const freePort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = mkdtempSync(join(tmpdir(), 'aict-bench-agent-'));
chmodSync(work, 0o777);
const fake = await startFakeModel();
const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'bench' });
const config = loadConfig({
  AUTH: 'off',
  DATABASE_URL: db.url,
  DATA_DIR: join(work, 'data'),
  ANTHROPIC_API_KEY: 'bench',
  ANTHROPIC_BASE_URL: fake.url,
  LOG_LEVEL: 'silent',
  PORT: '0',
  GENIUS_MAX_STEPS: String(STEPS + 10),
});
const app = await createApp(config, createLogger('silent'));
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
const get = async (path) => (await fetch(`${base}${path}`)).json();

const runs = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const repo = join(work, `repo-${run}`);
    cpSync(join(root, 'test/fixtures/repos/shop-js'), repo, { recursive: true });
    const git = (...a) =>
      execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...a], {
        cwd: repo,
        env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@l', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@l' },
      });
    git('init', '-q', '--initial-branch=main');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');
    const goal = `analyze src/cart.js for dead code [bench ${run}]`;
    const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((f) => f.endsWith('.js'));
    const turns = Array.from({ length: STEPS }, (_, i) =>
      reply(`step ${i}`, toolUse(i % 2 ? 'search_code' : 'read_file', i % 2 ? { query: 'function' } : { path: files[i % files.length] })),
    );
    fake.addScenario({ match: { contains: goal }, roles: { builder: [...turns, reply('done')] } });
    const first = fake.messageRequests().length;
    const started = performance.now();
    const created = await (
      await fetch(`${base}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ goal, repo, mode: 'genius', role: 'builder' }),
      })
    ).json();
    let job;
    do {
      await new Promise((r) => setTimeout(r, 20));
      job = await get(`/api/jobs/${created.id}`);
    } while (!['succeeded', 'failed', 'aborted'].includes(job.status));
    if (job.status !== 'succeeded') throw new Error(`bench job ended ${job.status}: ${JSON.stringify(job.error)}`);
    const events = (await get(`/api/events?jobId=${created.id}&limit=1000`)).items;
    if (process.env.BENCH_AGENT_TIMELINE) {
      let prev = Date.parse(events[0].createdAt);
      for (const e of events) {
        const at = Date.parse(e.createdAt);
        console.log(
          `${String(at - prev).padStart(5)} ms  ${e.type.padEnd(12)} ${e.data.latencyMs !== undefined ? `latency ${e.data.latencyMs}` : e.data.durationMs !== undefined ? `duration ${e.data.durationMs}` : ''}`,
        );
        prev = at;
      }
    }
    // Steps are measured from the end of the first model call to the end of the last: job set-up
    // (cloning the workspace) is reported apart, as it happens once per job.
    const running = events.find((e) => e.type === 'status' && e.data.to === 'running');
    const models = events.filter((e) => e.type === 'model_call');
    const loopMs = Date.parse(models.at(-1).createdAt) - Date.parse(models[0].createdAt);
    const modelMs = models.slice(1).reduce((a, e) => a + e.data.latencyMs, 0);
    const toolMs = events.filter((e) => e.type === 'tool_call').reduce((a, e) => a + e.data.durationMs, 0);
    const setupMs = Date.parse(models[0].createdAt) - Date.parse(running.createdAt) - models[0].data.latencyMs;
    const requests = fake
      .messageRequests()
      .slice(first)
      .filter((r) => r.usage);
    const afterFirst = requests.slice(1);
    const inputOf = (u) => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
    const cacheShare =
      afterFirst.reduce((a, r) => a + (r.usage.cache_read_input_tokens ?? 0), 0) / afterFirst.reduce((a, r) => a + inputOf(r.usage), 0);
    runs.push({
      steps: STEPS,
      wallMs: Math.round(performance.now() - started),
      overheadPerStepMs: (loopMs - modelMs - toolMs) / STEPS,
      setupMs,
      modelMsPerStep: modelMs / STEPS,
      toolMsPerStep: toolMs / STEPS,
      inputTokensPerStep: Math.round(requests.reduce((a, r) => a + inputOf(r.usage), 0) / requests.length),
      cacheShareAfterFirst: cacheShare,
    });
  }
} finally {
  await app.close();
  await db.stop();
  await fake.close();
  rmSync(work, { recursive: true, force: true });
}

const pick = (k) => median(runs.map((r) => r[k]));
const result = {
  steps: STEPS,
  runs: RUNS,
  overheadPerStepMs: +pick('overheadPerStepMs').toFixed(2),
  modelMsPerStep: +pick('modelMsPerStep').toFixed(2),
  toolMsPerStep: +pick('toolMsPerStep').toFixed(2),
  setupMs: pick('setupMs'),
  inputTokensPerStep: pick('inputTokensPerStep'),
  cacheShareAfterFirst: +pick('cacheShareAfterFirst').toFixed(3),
  targets: { overheadPerStepMs: TARGET_OVERHEAD_MS, cacheShareAfterFirst: TARGET_CACHE_SHARE },
};
console.log(`agent benchmark: ${STEPS}-step scripted job, median of ${RUNS} runs (fake model answering instantly)`);
console.log(
  `  orchestration overhead per step: ${result.overheadPerStepMs} ms (target < ${TARGET_OVERHEAD_MS} ms) -> ${result.overheadPerStepMs < TARGET_OVERHEAD_MS ? 'PASS' : 'FAIL'}`,
);
console.log(`  model round trip per step (fake, loopback): ${result.modelMsPerStep} ms; tool time per step: ${result.toolMsPerStep} ms`);
console.log(
  `  input tokens per step: ${result.inputTokensPerStep}; served from cache after the first step: ${(100 * result.cacheShareAfterFirst).toFixed(1)}% (target >= ${100 * TARGET_CACHE_SHARE}%) -> ${result.cacheShareAfterFirst >= TARGET_CACHE_SHARE ? 'PASS' : 'FAIL'}`,
);
writeFileSync(
  join(root, 'bench/agent/last-run.json'),
  `${JSON.stringify({ ...result, runsDetail: runs, at: new Date().toISOString() }, null, 2)}\n`,
);
process.exit(0);
