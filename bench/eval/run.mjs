// `npm run eval`: solve rate, cost and tokens per solved task, steps, wall time, escalations and the
// reasons for failures, over a set of small real repositories with a real defect each
// (bench/eval/tasks, sources in bench/eval/SOURCES.md). It starts the real server on an
// embedded PostgreSQL, submits each task through the HTTP API as a user would, waits for the job,
// then judges it by running the task's acceptance tests (the upstream tests of the fix) on a fresh
// clone of the job's pushed branch, in the server's sandbox: a job's own claim of success is not
// trusted. The model is whatever the environment configures (as for `npm start`), or, with
// --scripted, a replay of each upstream fix on the fake Messages API, which tests the harness and
// not a model.
//
//   npm run eval -- [--scripted] [--tasks id,id] [--split dev|holdout|all] [--mode mechanic|genius]
//                   [--parallel N] [--job-timeout-ms N] [--out file.json] [--check] [--keep]
//   npm run eval:compare -- a.json b.json
import { mkdirSync, mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTask, judgeBranch } from './lib/judge.mjs';
import { FAILURE_KINDS, markdownTable, summarise } from './lib/report.mjs';
import { evalRoot, git, loadTasks, materialize, projectRoot, selectTasks } from './lib/tasks.mjs';
import { scriptedScenario } from './scripted.mjs';

const usage = `usage: npm run eval -- [--scripted] [--tasks id,id] [--split dev|holdout|all] [--mode mechanic|genius] [--parallel N] [--job-timeout-ms N] [--out file.json] [--check] [--keep]`;
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      scripted: { type: 'boolean', default: false },
      tasks: { type: 'string' },
      split: { type: 'string', default: 'all' },
      mode: { type: 'string' },
      parallel: { type: 'string', default: '1' },
      'job-timeout-ms': { type: 'string' },
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const fail = (message) => {
  console.error(`eval: ${message}`);
  process.exit(2);
};
if (!['dev', 'holdout', 'all'].includes(args.split)) fail(`--split must be dev, holdout or all\n${usage}`);
if (args.mode && !['mechanic', 'genius'].includes(args.mode)) fail(`--mode must be mechanic or genius\n${usage}`);
const parallel = Number(args.parallel);
if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) fail('--parallel must be a whole number from 1 to 16');
const jobTimeoutMs = Number(args['job-timeout-ms'] ?? (args.scripted ? 120_000 : 45 * 60_000));
if (!Number.isInteger(jobTimeoutMs) || jobTimeoutMs < 1_000) fail('--job-timeout-ms must be a whole number of milliseconds, at least 1000');

const require = createRequire(import.meta.url);
const dist = (path) => require(join(projectRoot, 'dist', path));
const { createApp } = dist('apps/server/src/create-app.js');
const { loadConfig, createLogger, startEmbeddedDatabase, withEnvFile } = dist('libs/common/src/index.js');
const { Sandbox } = dist('libs/tools/src/index.js');
const { ModelGateway } = dist('libs/agents/src/index.js');

let tasks;
try {
  tasks = selectTasks(loadTasks(), { ids: args.tasks?.split(',').filter(Boolean), split: args.split });
} catch (error) {
  fail(error.message);
}
if (!tasks.length) fail('no task selected');

const freePort = () =>
  new Promise((ok, ko) => {
    const server = createServer();
    server.on('error', ko);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), 'aict-eval-'));
chmodSync(work, 0o755);
const cleanup = () => {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
};

// The settings the server reads, as `npm start` reads them (the environment and a .env file),
// with its database, data directory and address made the eval's own.
const { env: userEnv } = withEnvFile(process.env);
const sandboxEnv = Object.fromEntries(Object.entries(userEnv).filter(([key]) => key.startsWith('SANDBOX')));

if (args.check) {
  const config = loadConfig({ ...sandboxEnv, LOG_LEVEL: 'silent' });
  const sandbox = sandboxOf(config);
  let bad = 0;
  for (const task of tasks) {
    const result = await checkTask({ sandbox, task, work, timeoutMs: 300_000 });
    if (!result.ok) bad++;
    console.log(
      `${result.ok ? 'ok  ' : 'BAD '} ${task.id}${result.ok ? ` (failing before the fix: ${result.failingBefore.join(', ')})` : `: ${result.problems.join('; ')}`}`,
    );
  }
  cleanup();
  console.log(`${tasks.length - bad} of ${tasks.length} tasks check out`);
  process.exit(bad ? 1 : 0);
}

function sandboxOf(config) {
  const s = config.sandbox;
  return new Sandbox({
    mode: s.mode,
    timeoutMs: s.timeoutMs,
    memoryBytes: s.memoryMb * 1024 ** 2,
    maxProcesses: s.maxProcesses,
    maxFileBytes: s.maxFileMb * 1024 ** 2,
    diskBytes: s.diskMb * 1024 ** 2,
    tmpBytes: s.tmpMb * 1024 ** 2,
    uidPool: s.uidPool,
    maxOutputBytes: s.maxOutputBytes,
  });
}

let fake;
let db;
let app;
let exitCode = 0;
try {
  if (args.scripted) {
    const { startFakeModel } = dist('test/fake-model/fake-model-server.js');
    const builders = dist('test/fake-model/scenario.js');
    fake = await startFakeModel();
    for (const task of tasks) fake.addScenario(scriptedScenario(task, builders));
  }
  db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'eval' });
  const scriptedEnv = args.scripted
    ? // The replay answers the team's roles only: the goals are read by the grammar, as they must be without a model.
      { ...sandboxEnv, ANTHROPIC_API_KEY: 'scripted', ANTHROPIC_BASE_URL: fake.url, INTAKE_MODEL: 'off', CHAT_MAX_COST_CENTS: '0' }
    : userEnv;
  const config = loadConfig({
    ...scriptedEnv,
    DATABASE_URL: db.url,
    DATA_DIR: join(work, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    ROLE: 'all',
    AUTH: 'off',
    LOG_LEVEL: userEnv.EVAL_LOG_LEVEL ?? 'warn',
    REPO_ALLOW: join(work, 'repos'),
  });
  app = await createApp(config, createLogger(config.logLevel));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  if (!app.get(ModelGateway).configured) {
    throw new Error(
      'no model is configured: set ANTHROPIC_API_KEY (see the README configuration), or run `npm run eval -- --scripted` to test the harness',
    );
  }
  const model = {
    scripted: args.scripted,
    provider: config.model.provider ?? 'anthropic',
    mechanic: config.model.models.mechanic,
    genius: config.model.models.genius,
  };
  const escalationSetting = config.pipeline?.escalation;
  const escalationData =
    escalationSetting !== undefined
      ? `ESCALATION=${typeof escalationSetting === 'object' ? (escalationSetting.mode ?? JSON.stringify(escalationSetting)) : escalationSetting}: counted from escalation events, mode changes and escalation questions`
      : 'this server version does not escalate yet: counted from mode changes only';
  console.log(
    `eval: ${tasks.length} task(s), model ${model.scripted ? 'SCRIPTED (a replay of each upstream fix on the fake Messages API: tests the harness, not a model)' : `${model.provider} ${model.mechanic} (mechanic) / ${model.genius} (genius)`}`,
  );
  const sandbox = sandboxOf(config);
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  mkdirSync(join(work, 'repos'), { recursive: true });

  const runTask = async (task) => {
    const origin = join(work, 'repos', task.id);
    const baseCommit = materialize(task, origin);
    const submitted = Date.now();
    const created = await call('POST', '/api/jobs', { goal: task.goal, repo: origin, ...(args.mode && { mode: args.mode }) });
    const result = { id: task.id, language: task.language, split: task.split, kind: task.kind ?? 'bug', solved: false };
    if (created.status !== 201) {
      const error = created.body?.error ?? { code: `http_${created.status}`, message: JSON.stringify(created.body) };
      return {
        ...result,
        job: null,
        usage: null,
        wallMs: null,
        failure: failure('intake_refused', `intake refused: ${error.code}: ${error.message}`),
      };
    }
    let job = created.body;
    const deadline = submitted + jobTimeoutMs;
    let timedOut = false;
    while (!['succeeded', 'failed', 'aborted', 'waiting_human'].includes(job.status)) {
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      await sleep(args.scripted ? 100 : 1_000);
      job = (await call('GET', `/api/jobs/${job.id}`)).body;
    }
    const question = job.status === 'waiting_human' ? job.pendingQuestion : null;
    if (timedOut || question) {
      await call('POST', `/api/jobs/${job.id}/cancel`);
      job = (await waitSettled(job.id)) ?? job;
    }
    const events = await jobEvents(job.id);
    const escalation = {
      escalated:
        job.mode !== created.body.mode ||
        events.some((e) => /escalat/i.test(e.type)) ||
        /genius|raise the cap|escalat/i.test(question?.question ?? ''),
      modeBefore: created.body.mode,
      modeAfter: job.mode,
      events: events.filter((e) => /escalat/i.test(e.type)).length,
    };
    const judge = await judgeBranch({ sandbox, task, origin, base: baseCommit, branch: job.branch, work, timeoutMs: 300_000 });
    const out = {
      ...result,
      jobId: job.id,
      job: { status: job.status, mode: job.mode, error: job.error, branch: job.branch },
      usage: job.usage,
      modelCalls: events.filter((e) => e.type === 'model_call').length,
      // What the job did, in a line per tool call, to read a failure without the server.
      trail: events.filter((e) => e.type === 'tool_call').map((e) => `${e.role ?? e.data?.role ?? ''} ${e.summary}`.trim()),
      lastTestRun: lastTestRun(events),
      wallMs: job.finishedAt ? Date.parse(job.finishedAt) - Date.parse(job.createdAt) : Date.now() - submitted,
      escalation,
      judge,
    };
    if (timedOut) return { ...out, failure: failure('eval_timeout', `no end within ${jobTimeoutMs} ms (cancelled)`) };
    if (question)
      return {
        ...out,
        failure: failure('waiting_human', `asked a person${question.askedBy ? ` (${question.askedBy})` : ''}: ${question.question}`),
      };
    if (job.status !== 'succeeded') {
      const also = judge.tests?.passed ? '; its branch passes the acceptance tests' : '';
      return {
        ...out,
        failure: failure('job_failed', `job ${job.status}: ${job.error?.code ?? 'no code'}: ${job.error?.message ?? ''}${also}`),
      };
    }
    if (!judge.tests || judge.commits === 0)
      return { ...out, failure: failure('no_change', 'the job succeeded without a change on its branch') };
    if (!judge.tests.passed) {
      const why = judge.tests.timedOut
        ? 'timed out'
        : judge.tests.failing.length
          ? judge.tests.failing.join(', ')
          : `exit code ${judge.tests.exitCode}`;
      return { ...out, failure: failure('tests_fail', `the job succeeded but the acceptance tests fail after the change: ${why}`) };
    }
    return { ...out, solved: true, failure: null };
  };
  const failure = (kind, reason) => ({ kind, reason });
  const lastTestRun = (events) => {
    const run = events.filter((e) => e.type === 'tool_call' && e.data?.tool === 'run_tests').at(-1);
    if (!run) return null;
    const data = run.data.result?.data ?? {};
    return {
      ok: run.data.ok,
      summary: run.summary,
      passed: data.passed ?? null,
      output: String(data.output ?? data.outputTail ?? '').slice(-1_500),
    };
  };
  const waitSettled = async (id) => {
    for (let i = 0; i < 100; i++) {
      const { body } = await call('GET', `/api/jobs/${id}`);
      if (['succeeded', 'failed', 'aborted'].includes(body?.status)) return body;
      await sleep(100);
    }
    return undefined;
  };
  const jobEvents = async (id) => {
    const items = [];
    let cursor;
    do {
      const page = (await call('GET', `/api/events?jobId=${id}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
      items.push(...(page?.items ?? []));
      cursor = page?.nextCursor;
    } while (cursor);
    return items;
  };

  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        const task = tasks[i];
        const r = await runTask(task);
        results[i] = r;
        console.log(`  ${r.solved ? 'solved' : 'FAILED'}  ${task.id}${r.solved ? '' : ` — ${r.failure.reason}`}`);
      }
    }),
  );
  const run = {
    version: 1,
    at: new Date().toISOString(),
    label: args.scripted ? 'scripted model: tests the harness, not a model' : `${model.provider} ${model.mechanic} / ${model.genius}`,
    model,
    commit: (() => {
      try {
        return git(projectRoot, 'rev-parse', '--short', 'HEAD');
      } catch {
        return null;
      }
    })(),
    options: { tasks: tasks.map((t) => t.id), split: args.split, mode: args.mode ?? null, parallel, jobTimeoutMs },
    escalationData,
    failureKinds: FAILURE_KINDS,
    results,
    summary: summarise(results),
  };
  const table = markdownTable(run);
  console.log(`\n${table}\n`);
  const out = resolve(
    args.out ??
      join(
        evalRoot,
        'results',
        `${args.scripted ? 'scripted' : model.mechanic.replace(/[^\w.-]+/g, '_')}-${run.at.replace(/[:.]/g, '-')}.json`,
      ),
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ ...run, table }, null, 2)}\n`);
  writeFileSync(
    out.replace(/\.json$/, '') + '.md',
    `# Eval: ${run.label}\n\nRun of ${run.at} (commit ${run.commit ?? 'unknown'}).\n\n${table}\n`,
  );
  console.log(`wrote ${out}`);
} catch (error) {
  console.error(`eval: ${error.message}`);
  exitCode = 1;
} finally {
  await app?.close();
  await db?.stop();
  await fake?.close();
  cleanup();
}
process.exit(exitCode);
