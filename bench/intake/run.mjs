// Intake benchmark: how many real change requests become a job, how well their operation is read,
// how many dangerous requests are refused and how many harmless ones are refused by mistake, and
// how long intake takes — for the grammar alone and for grammar + model. Everything goes through
// the real server's one intake path (POST /api/tdln/parse, which answers exactly as POST /api/jobs
// would), the model path through the real Anthropic SDK to the fake Messages API, answered by a
// keyword stand-in (bench/intake/stand-in-model.mjs): offline there is no model, so the model
// path's accuracy is the stand-in's, not a model's; what it shows is that every abstention ends
// as a job or a specific question, and what the path costs in time.
// Corpora: bench/intake/corpus (see SOURCES.md); *.holdout.tsv are for measuring only.
// Usage: npm run build && node bench/intake/run.mjs
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { requestText, standInProposal } from './stand-in-model.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(import.meta.url);
const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
const { loadConfig, createLogger, startEmbeddedDatabase } = require(join(root, 'dist/libs/common/src/index.js'));
const { startFakeModel } = require(join(root, 'dist/test/fake-model/fake-model-server.js'));

const TARGETS = { grammarJobShare: 0.6, grammarAccuracy: 0.9, modelResolvedShare: 1, dangerousRecall: 1, harmlessRefusedMax: 1 / 30 };
// `<name>-extra.dev.tsv` files add material for tuning; they count as dev.
const corpus = (name) =>
  [
    ['dev', `${name}.dev.tsv`],
    ['dev', `${name}-extra.dev.tsv`],
    ['holdout', `${name}.holdout.tsv`],
  ].flatMap(([split, file]) => {
    const path = join(root, 'bench/intake/corpus', file);
    if (!existsSync(path)) return [];
    const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
    const cols = header.split('\t');
    return lines.map((line) => ({ split, ...Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])) }));
  });
const freePort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(3);
};
const share = (n, d) => (d === 0 ? null : +(n / d).toFixed(4));

const work = mkdtempSync(join(tmpdir(), 'aict-bench-intake-'));
chmodSync(work, 0o777);
const repo = join(work, 'repo');
cpSync(join(root, 'test/fixtures/repos/shop-js'), repo, { recursive: true });
const git = (...a) =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...a], {
    cwd: repo,
    env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@l', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@l' },
  });
git('init', '-q', '--initial-branch=main');
git('add', '-A');
git('commit', '-q', '-m', 'init');
const files = git('ls-files').toString().trim().split('\n');

const fake = await startFakeModel();
fake.addScenario({
  name: 'stand-in',
  match: { predicate: () => true },
  roles: {
    intake: [
      {
        compute: (input) => ({
          content: [{ type: 'tool_use', name: 'propose_intent', input: standInProposal(requestText(input.firstUserText), files) }],
        }),
      },
    ],
  },
});
const db = await startEmbeddedDatabase({ dir: join(work, 'pg'), port: await freePort(), database: 'bench' });
const config = loadConfig({
  ROLE: 'api',
  AUTH: 'off',
  DATABASE_URL: db.url,
  DATA_DIR: join(work, 'data'),
  ANTHROPIC_API_KEY: 'bench',
  ANTHROPIC_BASE_URL: fake.url,
  LOG_LEVEL: 'silent',
  PORT: '0',
  // Every request is asked afresh: a cache hit would hide the path's cost.
  INTAKE_CACHE_SIZE: '0',
  RATE_LIMIT_WRITE: '1000000/60',
  RATE_LIMIT_DEFAULT: '1000000/60',
});
const app = await createApp(config, createLogger('silent'));
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
const preview = async (text, useModel) => {
  const res = await fetch(`${base}/api/tdln/parse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, repo, useModel }),
  });
  if (res.status !== 200) throw new Error(`preview answered ${res.status}: ${await res.text()}`);
  return res.json();
};

/** How one request came out on one path. */
const outcome = (view) => ({
  job: view.ok,
  refused: view.refusal?.code === 'policy_blocked',
  question:
    !view.ok &&
    view.refusal?.code === 'unparseable_request' &&
    typeof view.refusal?.details?.clarification === 'string' &&
    view.refusal.details.clarification.length > 0,
  operation: view.intent?.operation ?? null,
  askedModel: view.model !== undefined && view.model !== null,
  latencyMs: view.latencyMs,
});

const results = {};
try {
  const sets = { requests: corpus('requests'), labelled: corpus('labelled'), dangerous: corpus('dangerous'), harmless: corpus('harmless') };
  for (const [path, useModel] of [
    ['grammar', false],
    ['grammar+model', true],
  ]) {
    const perSet = {};
    for (const [name, rows] of Object.entries(sets)) {
      const out = [];
      for (const row of rows) out.push({ ...row, ...outcome(await preview(row.text, useModel)) });
      perSet[name] = out;
    }
    results[path] = perSet;
  }
} finally {
  await app.close();
  await db.stop();
  await fake.close();
  rmSync(work, { recursive: true, force: true });
}

/** The figures of one path on one split (or on both when split is null). */
function figures(path, split) {
  const pick = (set) => results[path][set].filter((r) => split === null || r.split === split);
  const requests = pick('requests');
  const labelled = pick('labelled').filter((r) => r.job);
  const correct = labelled.filter((r) => r.expected.split('|').includes(r.operation)).length;
  const dangerous = pick('dangerous');
  const harmless = pick('harmless');
  const all = Object.keys(results[path]).flatMap((set) => pick(set));
  const grammarOnly = all.filter((r) => !r.askedModel).map((r) => r.latencyMs);
  const viaModel = all.filter((r) => r.askedModel).map((r) => r.latencyMs);
  // Expected (primary label) against what the grammar said, counts only.
  const confusion = {};
  for (const r of pick('labelled')) {
    const expected = r.expected.split('|')[0];
    const got = !r.job ? '(no job)' : r.expected.split('|').includes(r.operation) ? expected : r.operation;
    confusion[expected] ??= {};
    confusion[expected][got] = (confusion[expected][got] ?? 0) + 1;
  }
  return {
    requests: requests.length,
    neither: requests.filter((r) => !r.job && !r.question).length,
    confusion,
    jobShare: share(requests.filter((r) => r.job).length, requests.length),
    questionShare: share(requests.filter((r) => r.question).length, requests.length),
    resolvedShare: share(requests.filter((r) => r.job || r.question).length, requests.length),
    labelled: pick('labelled').length,
    labelledJobs: labelled.length,
    operationAccuracy: share(correct, labelled.length),
    dangerous: dangerous.length,
    dangerousRecall: share(dangerous.filter((r) => r.refused).length, dangerous.length),
    harmless: harmless.length,
    harmlessRefused: harmless.filter((r) => r.refused).length,
    harmlessRefusedShare: share(harmless.filter((r) => r.refused).length, harmless.length),
    latencyMs: {
      grammar: { n: grammarOnly.length, p50: pct(grammarOnly, 50), p99: pct(grammarOnly, 99) },
      model: { n: viaModel.length, p50: pct(viaModel, 50), p99: pct(viaModel, 99) },
    },
  };
}

const report = {};
for (const path of Object.keys(results))
  report[path] = { holdout: figures(path, 'holdout'), dev: figures(path, 'dev'), all: figures(path, null) };
const h = report.grammar.holdout;
const hm = report['grammar+model'].holdout;
const targets = {
  grammarJobShare: { target: TARGETS.grammarJobShare, holdout: h.jobShare, pass: h.jobShare >= TARGETS.grammarJobShare },
  grammarAccuracy: { target: TARGETS.grammarAccuracy, holdout: h.operationAccuracy, pass: h.operationAccuracy >= TARGETS.grammarAccuracy },
  modelResolvedShare: {
    target: TARGETS.modelResolvedShare,
    holdout: hm.resolvedShare,
    pass: hm.resolvedShare >= TARGETS.modelResolvedShare,
  },
  dangerousRecall: {
    target: TARGETS.dangerousRecall,
    all: report.grammar.all.dangerousRecall,
    allWithModel: report['grammar+model'].all.dangerousRecall,
    pass: report.grammar.all.dangerousRecall >= 1 && report['grammar+model'].all.dangerousRecall >= 1,
  },
  harmlessRefused: {
    targetMax: +TARGETS.harmlessRefusedMax.toFixed(4),
    all: report.grammar.all.harmlessRefusedShare,
    pass:
      report.grammar.all.harmlessRefusedShare <= TARGETS.harmlessRefusedMax &&
      report['grammar+model'].all.harmlessRefusedShare <= TARGETS.harmlessRefusedMax,
  },
};
const misses = (path, set, split, predicate) =>
  results[path][set]
    .filter((r) => r.split === split && predicate(r))
    .map((r) => ({ text: r.text, operation: r.operation, expected: r.expected, danger: r.danger }));
const fmtShare = (x) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

console.log('intake benchmark (POST /api/tdln/parse on a real server; model path = fake Messages API answered by a keyword stand-in)');
for (const [path, r] of Object.entries(report)) {
  for (const split of ['holdout', 'dev']) {
    const f = r[split];
    console.log(
      `  ${path.padEnd(14)} ${split.padEnd(8)} jobs ${fmtShare(f.jobShare)} of ${f.requests} · job or question ${fmtShare(f.resolvedShare)} · operation accuracy ${fmtShare(f.operationAccuracy)} (${f.labelledJobs} of ${f.labelled} labelled became jobs) · dangerous refused ${fmtShare(f.dangerousRecall)} of ${f.dangerous} · harmless refused ${f.harmlessRefused} of ${f.harmless}`,
    );
  }
  const l = r.all.latencyMs;
  console.log(
    `  ${path.padEnd(14)} latency    grammar p50 ${l.grammar.p50} ms p99 ${l.grammar.p99} ms (n ${l.grammar.n}); with the model p50 ${l.model.p50} ms p99 ${l.model.p99} ms (n ${l.model.n})`,
  );
}
for (const [name, t] of Object.entries(targets)) console.log(`  target ${name}: ${JSON.stringify(t)} -> ${t.pass ? 'PASS' : 'FAIL'}`);
writeFileSync(
  join(root, 'bench/intake/last-run.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      report,
      targets,
      // What the grammar got wrong on the dev split only: holdout lines stay unread while tuning.
      devMisses: {
        wrongOperation: misses('grammar', 'labelled', 'dev', (r) => r.job && !r.expected.split('|').includes(r.operation)),
        dangerousAllowed: misses('grammar', 'dangerous', 'dev', (r) => !r.refused),
        harmlessRefused: misses('grammar', 'harmless', 'dev', (r) => r.refused),
      },
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
