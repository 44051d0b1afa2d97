// `npm run demo`: one whole job, offline, on a bundled sample repository, with the model replaced
// by the scripted fake Messages API (test/fake-model). Everything else is real: the server,
// an embedded PostgreSQL, git, the sandbox, the TDLN engine, the ledger.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
const { loadConfig, createLogger, startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));
const { startFakeModel } = require(join(root, 'dist/test/fake-model/fake-model-server.js'));
const { reply, toolUse } = require(join(root, 'dist/test/fake-model/scenario.js'));

const dim = (s) => `\x1b[2m${s}\x1b[0m`;
const bold = (s) => `\x1b[1m${s}\x1b[0m`;
console.log(bold('\nAI Coding Team — demo (REPLAY)'));
console.log(dim('The model is a scripted replay (test/fake-model), not a live model: no network and no API key are used.'));
console.log(dim('Everything else is real: HTTP API, embedded PostgreSQL, git, the bubblewrap sandbox, the TDLN engine, the ledger.\n'));

const work = mkdtempSync(join(tmpdir(), 'aict-demo-'));
chmodSync(work, 0o777);
const repo = join(work, 'calc-js');
cpSync(join(root, 'test/fixtures/repos/calc-js'), repo, { recursive: true });
const git = (...args) =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Demo',
      GIT_AUTHOR_EMAIL: 'demo@localhost',
      GIT_COMMITTER_NAME: 'Demo',
      GIT_COMMITTER_EMAIL: 'demo@localhost',
    },
  }).trim();
git('init', '--quiet', '--initial-branch=main');
git('add', '-A');
git('commit', '--quiet', '-m', 'calc-js: a tiny calculator with a bug');
console.log(`sample repository: ${repo} (subtract() adds instead of subtracting; one test fails)`);

const goal = 'fix the failing subtract test in src/calc.js';
const fake = await startFakeModel();
fake.addScenario({
  name: 'demo',
  match: { contains: goal },
  roles: {
    planner: [
      reply('Reading the calculator.', toolUse('read_file', { path: 'src/calc.js' })),
      reply(
        toolUse('record_analysis', {
          summary: 'subtract() returns a + b instead of a - b.',
          rootCause: 'Wrong operator in subtract (src/calc.js line 10).',
          affectedFiles: ['src/calc.js'],
          risk: 'low',
          evidence: [{ path: 'src/calc.js', lines: '9-11', note: 'return a + b;' }],
        }),
      ),
      reply(
        toolUse('create_plan', {
          steps: [
            { title: 'Use a - b in subtract', files: ['src/calc.js'] },
            { title: 'Run the tests and commit', files: [] },
          ],
          testStrategy: 'npm test (node --test): the subtract test must pass.',
        }),
      ),
    ],
    reviewer: [
      reply(toolUse('get_diff', {})),
      reply(toolUse('submit_review', { verdict: 'approve', summary: 'One-character fix in subtract, covered by the existing test.' })),
    ],
    builder: [
      reply('I will read the calculator first.', toolUse('read_file', { path: 'src/calc.js' })),
      reply('subtract() returns a + b. Let me run the tests to confirm.', toolUse('run_tests', {})),
      reply(
        'One test fails as expected. Fixing subtract.',
        toolUse('edit_file', {
          path: 'src/calc.js',
          oldText: 'function subtract(a, b) {\n  return a + b;',
          newText: 'function subtract(a, b) {\n  return a - b;',
        }),
      ),
      reply(toolUse('run_tests', {})),
      reply(
        'All green; committing.',
        toolUse('commit_changes', {
          message:
            'Fix subtract: take b from a\n\nsubtract() added its arguments; the test "subtract takes the second number from the first" failed.',
        }),
      ),
      reply('Fixed `subtract` in src/calc.js (it added instead of subtracting). All 3 tests pass; the fix is committed on the job branch.'),
    ],
  },
});

const port = Number(process.env.DEMO_PG_PORT ?? 54_339);
const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port, database: 'demo' });
const config = loadConfig({
  DATABASE_URL: db.url,
  DATA_DIR: join(work, 'data'),
  ANTHROPIC_API_KEY: 'replay',
  ANTHROPIC_BASE_URL: fake.url,
  LOG_LEVEL: 'warn',
  PORT: '0',
  // The replay runs on a loopback address for one local viewer.
  AUTH: 'off',
  ...(process.env.SANDBOX ? { SANDBOX: process.env.SANDBOX } : {}),
});
const app = await createApp(config, createLogger('warn'));
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
console.log(`server: ${base} (API docs at ${base}/api/docs)\n`);

let exitCode = 0;
try {
  const created = await (
    await fetch(`${base}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ goal, repo }),
    })
  ).json();
  if (!created.id) throw new Error(`job was not created: ${JSON.stringify(created)}`);
  console.log(
    `${bold('job')} ${created.id}: "${goal}" → understood as ${created.intent?.operation} on ${created.intent?.targets?.join(', ')} (${created.mode} mode)`,
  );

  // Follow it live over SSE, the way the dashboard does.
  const response = await fetch(`${base}/api/jobs/${created.id}/stream`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const event = block.match(/^event: (.*)$/m)?.[1];
      const data = block.match(/^data: (.*)$/m)?.[1];
      if (!event || !data || event === 'snapshot') continue;
      const payload = JSON.parse(data);
      if (event === 'complete') console.log(dim('  (stream complete)'));
      else console.log(`  ${event === 'status' ? bold(payload.summary) : `${dim(`[${payload.type}]`)} ${payload.summary}`}`);
    }
  }
  const job = await (await fetch(`${base}/api/jobs/${created.id}`)).json();
  console.log(`\n${bold('result')}: ${job.status} — ${job.result?.summary ?? job.error?.message}`);
  console.log(
    `usage: ${job.usage.steps} tool calls, ${job.usage.tokens} tokens, ${job.usage.costCents.toFixed(3)} cents (replayed model prices)`,
  );
  if (job.result?.branch) {
    console.log(`branch ${job.result.branch} pushed to ${repo}; commit ${job.result.commit}`);
    console.log(dim(git('log', '-1', '--format=%an: %s%n%b', job.result.branch)));
  }
  console.log(`\n${bold('patch')} (GET /api/jobs/${job.id}/diff):\n${await (await fetch(`${base}/api/jobs/${job.id}/diff`)).text()}`);
  const pack = await (await fetch(`${base}/api/jobs/${job.id}/truthpack`)).json();
  console.log(
    `${bold('truthpack')}: root ${pack.root?.slice(0, 16)}… over ${pack.size} items, signature ${pack.verification?.valid ? `valid (bound to this job and commit ${pack.pack?.statement?.headCommit?.slice(0, 12)}, key ${pack.verification.keyId})` : 'INVALID'}, items included: ${pack.verification?.itemsIncluded}`,
  );
  for (let i = 0; i < 50; i++) {
    const evaluation = await fetch(`${base}/api/jobs/${job.id}/evaluation`);
    if (evaluation.ok) {
      const e = await evaluation.json();
      console.log(
        `${bold('evaluation')}: overall ${e.overall} (correctness ${e.correctness}, efficiency ${e.efficiency}, honesty ${e.honesty}, safety ${e.safety})`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const verify = await (await fetch(`${base}/api/ledger/verify`)).json();
  console.log(
    `${bold('ledger')}: ${verify.ok ? 'chain verified' : `BROKEN at ${verify.firstBadSeq}`}, ${verify.checked} entries, head ${verify.headHash?.slice(0, 16)}…`,
  );
  if (job.status !== 'succeeded' || !verify.ok) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await app.close();
  await db.stop();
  await fake.close();
  if (!process.env.DEMO_KEEP) rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
