// `npm run bench`: runs every benchmark (queue vs pg-boss and graphile-worker, TDLN binding, agent
// overhead, SSE fan-out, API throughput, intake, ledger appends and verify, and the eval with the scripted model) and writes their figures and ratios to bench/REPORT.md.
// `node bench/report.mjs --no-run` only rewrites the report from the last runs' JSON files;
// `node bench/report.mjs --only api[,sse…]` runs those benchmarks alone and rewrites the report with
// the stored results of the others.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);
const root = resolve(here, '..');
const benches = [
  ['queue', 'bench/queue/run.mjs', 'bench/queue/last-run.json'],
  ['tdln', 'bench/tdln/run.mjs', 'bench/tdln/last-run.json'],
  ['agent', 'bench/agent/run.mjs', 'bench/agent/last-run.json'],
  ['sse', 'bench/sse/run.mjs', 'bench/sse/last-run.json'],
  ['api', 'bench/api/run.mjs', 'bench/api/last-run.json'],
  ['intake', 'bench/intake/run.mjs', 'bench/intake/last-run.json'],
  ['ledger', 'bench/ledger/run.mjs', 'bench/ledger/last-run.json'],
  // The eval here is the scripted run (the harness, not a model): a real model's run costs money and
  // is started by hand (`npm run eval`, README "Measuring a model").
  ['eval', 'bench/eval/run.mjs', 'bench/eval/results/scripted.json', ['--scripted', '--out', 'bench/eval/results/scripted.json']],
];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1]?.split(',') : null;
if (only?.some((name) => !benches.some(([known]) => known === name))) {
  console.error(`--only takes a comma-separated list of ${benches.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
const run = !process.argv.includes('--no-run');
if (run) {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  for (const [name, script, , args = []] of benches) {
    if (only && !only.includes(name)) continue;
    console.log(`\n=== ${name} ===`);
    execFileSync(process.execPath, [join(root, script), ...args], { stdio: 'inherit', cwd: root });
  }
}
const fmt = (v) => (typeof v === 'number' ? String(Math.round(v * 100) / 100) : (v ?? '—'));
const load = (file) => (existsSync(join(root, file)) ? JSON.parse(readFileSync(join(root, file), 'utf8')) : null);
const [queue, tdln, agent, sse, api, intake, ledger, evalRun] = benches.map(([, , file]) => load(file));
const intakeBaseline = load('bench/intake/baseline-v1.json');
const day = (iso) => (iso ? String(iso).slice(0, 10) : 'unknown');
const runDays = [queue?.env?.startedAt, tdln?.at, agent?.at, sse?.at, api?.at, intake?.at, ledger?.at, evalRun?.at]
  .filter(Boolean)
  .map(day)
  .sort();
const when =
  runDays.length === 0
    ? 'no runs yet'
    : runDays[0] === runDays.at(-1)
      ? `runs of ${runDays[0]}`
      : `runs of ${runDays[0]} to ${runDays.at(-1)}`;
const lines = [
  '# Benchmark report',
  '',
  `Written by \`npm run bench\` (${when}; 2 cores, embedded PostgreSQL 18, Node ${process.version}). Each section says how to run it alone; \`node bench/report.mjs --only NAME\` reruns one and rebuilds this file from the others' stored results.`,
  '',
];

if (queue) {
  const m = queue.metrics;
  const peers = Object.keys(Object.values(m)[0].oursOverPeer);
  lines.push(
    '## Queue (`npm run bench:queue`)',
    '',
    `N = ${queue.env.jobs} no-op jobs; every system on its own database of the same server, one after the other.`,
    '',
  );
  lines.push(
    `| metric | ours | ${peers.join(' | ')} | ${peers.map((p) => `ours/${p}`).join(' | ')} |`,
    `|---|---|${peers.map(() => '---|').join('')}${peers.map(() => '---|').join('')}`,
  );
  for (const [key, metric] of Object.entries(m)) {
    lines.push(
      `| ${key} (${metric.unit}${metric.higherIsBetter ? ', higher is better' : ', lower is better'}) | ${fmt(metric.values.ours)} | ${peers.map((p) => fmt(metric.values[p])).join(' | ')} | ${peers.map((p) => (metric.oursOverPeer[p] ?? '—') + (metric.oursOverPeer[p] ? 'x' : '')).join(' | ')} |`,
    );
  }
  const t = queue.targets;
  const value = (key, name) => m[key]?.values?.[name];
  const p99 = value('pick-up p99', 'ours');
  const single = value('enqueue single', 'ours');
  const bestSingle = Math.max(...peers.map((p) => value('enqueue single', p) ?? 0));
  const bestSinglePeer = peers.find((p) => value('enqueue single', p) === bestSingle);
  const p99Met = p99 !== undefined && p99 < 4;
  const singleMet = single !== undefined && single >= bestSingle;
  lines.push(
    '',
    `Targets (issue 18): throughput at concurrency 16 at or above the best peer (${t.throughputC16.bestPeer}, ${t.throughputC16.bestPeerValue} jobs/s): **${t.throughputC16.pass ? 'met' : 'missed'}** (ours ${t.throughputC16.ours}); pick-up p50 under ${t.pickupP50.targetMs} ms: **${t.pickupP50.pass ? 'met' : 'missed'}** (ours ${t.pickupP50.ours} ms); pick-up p99 under 4 ms: **${p99Met ? 'met' : 'missed'}** (ours ${fmt(p99)} ms); single enqueue at or above the best peer (${bestSinglePeer}, ${fmt(bestSingle)} jobs/s): **${singleMet ? 'met' : 'missed'}** (ours ${fmt(single)}).`,
    '',
  );
  if (!t.throughputC16.pass || !t.pickupP50.pass || !p99Met || !singleMet) {
    const d = queue.results?.find((r) => r.name === 'ours')?.diagnostics?.c16;
    const measured = d?.claim
      ? `In this run's drain at c16 a claim transaction took p50 ${fmt(d.claim.p50)} ms (p99 ${fmt(d.claim.p99)}) for ${fmt(d.claim.meanBatch)} jobs on average, and a finish p50 ${fmt(d.finish.p50)} ms (p99 ${fmt(d.finish.p99)}) for ${fmt(d.finish.meanBatch)}. `
      : '';
    lines.push(
      `**Why the queue targets are missed, and what closes them.** ${measured}The ledger's global lock is gone (issue 18 part 1: an append is one INSERT and a sequencer integrates committed entries into the Merkle log); on the issue's own baseline the drain at c16 was 860 jobs/s with pick-up p50 13.3 ms, and this branch's run with the lock still in place (under heavy machine load) 320 jobs/s. What remains on every claim, finish and job creation: each is a state transition that takes the events table's advisory lock (so event ids become visible in id order for SSE readers) and writes a ledger entry and an event row in the same durable transaction, through TypeORM, so a claim is still about seven round trips after the NOTIFY (begin, claim, lock, ledger insert, event insert, commit) and a finish waits for the same lock; a job creation also runs intake (grammar and policy) and the repository check before its transaction. The peers write one row. Around that: a worker claims ahead of its free slots under its lease (\`WORKER_LOCAL_QUEUE_SIZE\`), a finish locks and writes its rows in one statement, job reads no longer carry the checkpoint, and notifications are written in batches. What closes the rest: a transaction-id high-water mark on the readers' side instead of the events lock, claim and finish as single raw-pg statements that insert their ledger and event rows in the same statement, and a batch enqueue API.`,
      '',
    );
  }
}
if (tdln) {
  lines.push('## TDLN binding (`npm run bench:tdln`)', '', '| path | intents/s | ns per call |', '|---|---|---|');
  lines.push(
    `| Rust alone | ${tdln.rust.perSecond} | ${tdln.rust.nsPerCall} |`,
    `| Rust inside the addon | ${tdln.inAddon.perSecond} | ${tdln.inAddon.nsPerCall} |`,
    `| Node → binding, one call per intent | ${tdln.node.perSecond} | ${tdln.node.nsPerCall} |`,
  );
  lines.push(
    '',
    `Boundary overhead ${tdln.boundaryOverheadNs} ns a call (ratio node/rust ${tdln.ratioNodeOverRust}x); a trivial call costs ${tdln.trivialCallNs} ns, so most of the overhead is building the result objects.`,
  );
  if (tdln.grammar) {
    lines.push(
      '',
      `Grammar ${tdln.grammar.version}: ${tdln.grammar.rules} rules, ${tdln.grammar.patterns} patterns. Version 1 had 10 rules and 60 patterns and parsed these phrasings in about 16 µs; version 2 reads the requests people actually write (labels, tenses, noun phrases, three more operations; see the intake section) at about four times that — well under a millisecond, a fraction of one database round trip of the job it creates. Every pattern is tried at every word start so the most specific match wins; a single-pass prefilter (a RegexSet over all patterns) was measured and made it five times slower on patterns this large.`,
    );
  }
  lines.push('');
}
if (agent) {
  lines.push(
    '## Agent orchestration (`npm run bench:agent`)',
    '',
    `${agent.steps}-step scripted job, median of ${agent.runs} runs, fake model answering at once.`,
    '',
    '| figure | value | target |',
    '|---|---|---|',
  );
  lines.push(
    `| orchestration overhead per step | ${agent.overheadPerStepMs} ms | < ${agent.targets.overheadPerStepMs} ms (${agent.overheadPerStepMs < agent.targets.overheadPerStepMs ? 'met' : 'missed'}) |`,
  );
  lines.push(
    `| input tokens per step | ${agent.inputTokensPerStep} | |`,
    `| input served from cache after the first step | ${(100 * agent.cacheShareAfterFirst).toFixed(1)}% | ≥ ${100 * agent.targets.cacheShareAfterFirst}% (${agent.cacheShareAfterFirst >= agent.targets.cacheShareAfterFirst ? 'met' : 'missed'}) |`,
    `| job set-up (clone), once per job | ${agent.setupMs} ms | |`,
  );
  if (agent.overheadPerStepMs >= agent.targets.overheadPerStepMs) {
    lines.push(
      '',
      "**Why the overhead target is missed.** A step's bookkeeping waits for the database twice instead of six times (`test/e2e/agent-step.spec.ts` counts the waits between one model call and the next): the settlement takes the first tool call's step in the same statement and goes out beside the model-call event; a tool call's event is written beside the next call's step or the turn's checkpoint; the checkpoint beside the next call's reservation. Side by side, minutes apart, on the 2 cores shared with other engineers' test runs (1-minute load average 6.5–7.5 throughout), the runner without and with this: 11.85, 12.75 and 14.5 ms a step against 10.9, 6.35 and 10.5 ms (3, 5 and 5 runs each; the figure above is one more run with it, at a load average of 6.4). With PostgreSQL on loopback a wait is 1–3 ms, so the four waits saved are worth at most 4–12 ms a step; the rest is CPU time on a machine with three to four runnable processes a core, not profiled in this run: serialising the growing transcript for the model request and for the checkpoint (one jsonb value rewritten every turn; the diff is only recomputed after an edit), estimating its tokens, the SDK's request handling, and the events' advisory lock that a step's events share with every other writer. What would close it: appending to the transcript rather than rewriting the checkpoint, the events lock's removal (see the queue section), and a run on an idle machine before judging the target.",
    );
  }
  lines.push('');
}
if (sse) {
  lines.push(
    '## SSE fan-out (`npm run bench:sse`)',
    '',
    '| subscribers | commit → delivery p50 | p99 | server memory per connection |',
    '|---|---|---|---|',
  );
  for (const r of sse.results) lines.push(`| ${r.subscribers} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.rssPerConnectionKiB} KiB |`);
  lines.push(
    '',
    'Each event is rendered once and the same frame written to every stream; a client that reads slower than events come holds at most 256 KiB in the server and catches up from the events table. `test/load/sse-clients.spec.ts` checks that 1,000 clients (5,000 with `AICT_LONG_TESTS=1`) each get every event once and in order while the server answers its readiness probe.',
    '',
  );
}
if (api) {
  const e = api.env;
  lines.push('## API (`npm run bench:api`)', '');
  lines.push(
    `autocannon, ${e.connections} connections, ${e.seconds} s per mix, against one server process (\`ROLE=api\`, ${e.auth}) on an embedded PostgreSQL holding ${e.seedJobs}+ jobs; autocannon and PostgreSQL share the same ${e.cpus} cores, so these are figures of the whole machine, not of the server alone. Run of ${day(api.at)}${e.loadAverage !== undefined ? ` (1-minute load average ${e.loadAverage} when it started)` : ''}.`,
    '',
    '| mix | req/s | p50 | p99 | errors + timeouts | non-2xx |',
    '|---|---|---|---|---|---|',
  );
  for (const r of api.results)
    lines.push(
      `| ${r.peer ? '*peer:* ' : ''}${r.what} | ${fmt(r.reqPerSec)} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.errors + r.timeouts} | ${r.non2xx} |`,
    );
  const { healthLiveOverFastifyHello: hello, jobOverFastifyPgJob: pgJob } = api.ratios;
  lines.push(
    '',
    `Ceiling ratios (req/s, ours over peer; the peers do less, so 1.0 is the ceiling, not a target): the cheapest route, \`GET /api/health/live\`, over a bare Fastify hello-world: **${hello ?? '—'}x** (what Nest, helmet, the hooks, the guards and the JSON envelope cost per request); \`GET /api/jobs/{id}\` over a bare Fastify + pg reading the same row: **${pgJob ?? '—'}x** (what Nest's pipeline, the guard with its token check — cached for up to a second —, the validation and the view cost; the row itself is read through the pg pool without TypeORM's query builder).`,
    '',
  );
  const create = api.results.find((r) => r.name === 'create')?.reqPerSec;
  const getMet = pgJob !== undefined && pgJob !== null && pgJob >= 0.5;
  const createMet = create !== undefined && create >= 500;
  lines.push(
    `Targets (issue 18): \`GET /api/jobs/{id}\` at 0.5x a bare Fastify + pg or better: **${getMet ? 'met' : 'missed'}** (${pgJob ?? '—'}x); \`POST /api/jobs\` at 500 requests/s or more: **${createMet ? 'met' : 'missed'}** (${fmt(create)}).`,
    '',
  );
  if (!createMet)
    lines.push(
      "**Why `POST /api/jobs` is below 500 requests/s.** The ledger append no longer takes a lock (an INSERT the sequencer integrates), so what a creation still waits for is the events table's advisory lock, held until commit while the `new → queued` event is written with the job row and its ledger entry: sixteen connections creating jobs queue for it one durable transaction (an fsync) at a time. Before the transaction each request runs the intake (grammar parse, request rules, policy, repository access check: `POST /api/tdln/parse` alone does 1,264 requests/s here) and the token check. Removing the events lock (a transaction-id high-water mark on the readers' side) is what would lift this next.",
      '',
    );
  if (!getMet)
    lines.push(
      `**Why \`GET /api/jobs/{id}\` is below half the bare peer.** A CPU profile of the server under this mix (6 s, 16 connections) after this branch's changes: Nest's router, guards, interceptors and pipes about 31% of the process's CPU inclusive, Fastify and its reply serialisation 23%, node-postgres 19% (row parsing of the job's 40 columns included), TypeORM 4% (it was 18% before the detail read moved to the pg pool), helmet 3%. The peer runs none of Nest's pipeline, no guard, no helmet and no view mapping, and answers the row as the driver returns it; on 2 cores shared with PostgreSQL and autocannon, the difference is mostly the framework's per-request cost, which the cheapest route's ratio above shows on its own.`,
      '',
    );
}
if (intake) {
  const pctOf = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
  const t = intake.targets;
  const met = (ok) => (ok ? 'met' : '**missed**');
  lines.push(
    '## Intake (`npm run bench:intake`)',
    '',
    `Every line goes through a real server's one intake path (\`POST /api/tdln/parse\`, which answers exactly as \`POST /api/jobs\` would) against a small fixture repository. Corpora: real change requests taken from the changelogs shipped in node_modules, the cargo registry, Python packages and Debian docs; dangerous requests from public Q&A and issue threads; harmless requests that mention passwords, tokens, deletion or force from the same changelogs and issue titles ([sources](intake/corpus/SOURCES.md), [dangerous sources](intake/corpus/DANGEROUS-SOURCES.md)). Each corpus is split by a hash of the line: *holdout* lines were never read while writing the grammar or the request rules and are the figures that count; *dev* lines (with the \`-extra\` sets) were used to tune. The model path is the real SDK against the fake Messages API answered by a keyword stand-in, not a model: its accuracy is the stand-in's, and what it shows is that every request the grammar leaves to the model ends as a job or a specific question, and what the path costs. Run of ${day(intake.at)}.`,
    '',
    '| path | split | requests → job | → job or question | operation accuracy (jobs among labelled) | dangerous refused | harmless refused |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [path, r] of Object.entries(intake.report)) {
    for (const split of ['holdout', 'dev']) {
      const f = r[split];
      lines.push(
        `| ${path} | ${split} | ${pctOf(f.jobShare)} of ${f.requests} | ${pctOf(f.resolvedShare)} | ${pctOf(f.operationAccuracy)} (${f.labelledJobs} of ${f.labelled}) | ${pctOf(f.dangerousRecall)} of ${f.dangerous} | ${f.harmlessRefused} of ${f.harmless} |`,
      );
    }
  }
  if (intakeBaseline) {
    const b = intakeBaseline.results.holdout;
    const h = intake.report.grammar.holdout;
    const ratio = (a, c) => (c ? `${(a / c).toFixed(2)}x` : '—');
    lines.push(
      `| *before: grammar v1 (commit ${intakeBaseline.commit})* | holdout | ${pctOf(b.jobShare)} of ${b.requests} | — | ${pctOf(b.operationAccuracy)} (${b.labelledJobs} of ${b.labelled}) | ${pctOf(b.dangerousRecall)} of ${b.dangerous} | ${b.harmlessRefused} of ${b.harmless} |`,
    );
    lines.push(
      '',
      `Against the grammar before this work on the same holdout lines: requests that become a job ${ratio(h.jobShare, b.jobShare)}, dangerous requests refused ${ratio(h.dangerousRecall, b.dangerousRecall)}.`,
    );
  }
  const l = intake.report.grammar.all.latencyMs.grammar;
  const m = intake.report['grammar+model'].all.latencyMs.model;
  lines.push(
    '',
    `Latency of intake inside the server (from the request's arrival at intake to its decision): grammar and policy alone p50 ${l.p50} ms, p99 ${l.p99} ms (${l.n} requests; the tail is the repository file listing made when the grammar abstains); with the model asked, p50 ${m.p50} ms, p99 ${m.p99} ms (${m.n} requests; the fake answers at once on loopback, so this is the path's own cost — a hosted model adds its answer time, bounded by INTAKE_MODEL_TIMEOUT_MS).`,
    '',
    `Targets (holdout): grammar alone turns ≥ ${100 * t.grammarJobShare.target}% of real requests into jobs — ${pctOf(t.grammarJobShare.holdout)}, ${met(t.grammarJobShare.pass)}; with ≥ ${100 * t.grammarAccuracy.target}% operation accuracy — ${pctOf(t.grammarAccuracy.holdout)}, ${met(t.grammarAccuracy.pass)}; with a model every request becomes a job or a specific question — ${pctOf(t.modelResolvedShare.holdout)}, ${met(t.modelResolvedShare.pass)}; every dangerous request refused — ${pctOf(t.dangerousRecall.all)} of all dangerous lines (holdout ${pctOf(intake.report.grammar.holdout.dangerousRecall)}), ${met(t.dangerousRecall.pass)}; at most 1 in 30 harmless requests refused — ${pctOf(t.harmlessRefused.all)}, ${met(t.harmlessRefused.pass)}.`,
    '',
  );
  if (!t.grammarAccuracy.pass || !t.dangerousRecall.pass) {
    lines.push(
      "**Why the accuracy and recall targets are missed on the holdout, and what would close them.** Operation labels are judgements: two people labelling the same 97 dev lines blind agreed on the primary operation for 86.6% of them (80.4% on the exact label set, 95.9% sharing at least one operation), so accuracy against one labeller is bounded well below 100%. The holdout's labelled lines were chosen to cover every operation at least five times, so rare operations (file creation, documentation, tests, performance, refactoring) weigh far more than in real traffic; on the dev lines labelled in file order by a second labeller the grammar reads 92.8%. The rest is generalisation: the dev lines taught the grammar and the request rules phrasings that the holdout words differently. Dangerous requests are phrased in endless ways (commands, config snippets, slang); each tuning round on fresh dev material (44, then 107, then 120+ lines from pages not used before) raised the untouched holdout's recall. What would close the gap: more unseen material per round, and, for safety, keeping refusals deterministic while letting the model *add* concern (a model that flags a request the rules missed could send it to a person rather than to the queue) — never lower it.",
      '',
    );
  }
}
if (ledger) {
  const largest = ledger.verify.at(-1);
  lines.push(
    '## Ledger (`npm run bench:ledger`; `BENCH_LEDGER_FULL=1` for a million entries)',
    '',
    `Appends: ${ledger.env.appenders} server processes append at once for ${ledger.env.seconds} s, ${ledger.env.concurrency} transactions in flight each, one entry per transaction (committed durably), each process a sequencer candidate. The same load then runs against the hash chain the ledger was before (transaction advisory lock, head read, chained insert) in a table of its old shape on the same server. Run of ${day(ledger.at)}.`,
    '',
    '| metric | Merkle log | old hash chain | Merkle / chain |',
    '|---|---|---|---|',
    `| appends/s, ${ledger.env.appenders} processes at once (higher is better) | ${ledger.merkle.appendsPerSecond} (${ledger.merkle.perProcess.join(' + ')}) | ${ledger.chain.appendsPerSecond} (${ledger.chain.perProcess.join(' + ')}) | ${ledger.merkleOverChain}x |`,
    '',
    `Sequencing kept up: at most ${ledger.merkle.maxPendingDuringWindow} committed entries were waiting for a leaf at any sample (every 100 ms), and the last were sealed ${ledger.merkle.drainMsAfterWindow} ms after the window closed (${ledger.merkle.treeHeads} signed tree heads for ${ledger.merkle.entries} entries).`,
    '',
    `Verify, in a fresh process over one snapshot, streamed in batches, with that process's V8 old space capped at ${ledger.env.verifyHeapMb ?? '—'} MB (a verify that held the log in memory would die; peak RSS of the process, and its RSS once the app was up, before verifying):`,
    '',
    '| entries | verify time | entries/s | signed tree heads checked | peak RSS | RSS before verify | sequenced by the sequencer at |',
    '|---|---|---|---|---|---|---|',
    ...ledger.verify.map(
      (v) =>
        `| ${v.entries.toLocaleString('en')} | ${v.seconds} s | ${v.entriesPerSecond} | ${v.treeHeads} | ${v.rssPeakMb} MB | ${v.rssBeforeMb} MB | ${v.sequencedPerSecond ? `${v.sequencedPerSecond} entries/s` : '—'} |`,
    ),
    '',
    `Memory stays flat: the ${largest.entries.toLocaleString('en')}-entry verify peaks at ${largest.rssPeakMb} MB against ${ledger.verify[0].rssPeakMb} MB for ${ledger.verify[0].entries.toLocaleString('en')} entries; the tree is carried as its right frontier (O(log n) hashes) and entries are read ${'5,000'} at a time.${ledger.full ? '' : ' (Quick mode: rerun with `BENCH_LEDGER_FULL=1` for the million-entry figure.)'}`,
    '',
  );
}
if (evalRun) {
  lines.push(
    '## Eval (`npm run eval`)',
    '',
    `**This run uses the scripted model, so it tests the harness, not a model.** Each of the ${evalRun.results.length} tasks is a small real package at the release before an upstream fix (JavaScript, TypeScript and Python; [sources](eval/SOURCES.md)), submitted through the HTTP API of a real server on an embedded PostgreSQL; the job's pushed branch is then cloned afresh and judged by the upstream tests of the fix in the sandbox, never by the job's own verdict. The scripted model replays each upstream fix on the fake Messages API through the real team (plan, build, tests, review), and for \`semver-wildcard\` it makes a deliberately wrong change that passes the repository's visible tests, to show that a job claiming success is still judged unsolved. So the solve rate, cost, tokens and steps below are those of the replay (the cost is the fake model's reported usage at the default model's prices). With a real key, \`npm run eval\` measures the model itself (README, "Measuring a model"). Run of ${day(evalRun.at)} (commit ${evalRun.commit ?? 'unknown'}).`,
    '',
    evalRun.table,
    '',
    "Each run writes its JSON (every figure per task: job, usage, escalation, judge output, the trail of tool calls, and the summary) and the same table as Markdown beside it, under `bench/eval/results/` (`<model>-<time>.json` by default, `--out FILE` to choose). `bench/eval/results/scripted.json` is this section's run; timestamped scripted runs are not kept in git, real-model runs are committed when they are worth comparing against. `npm run eval:compare -- A.json B.json` puts two runs side by side with B/A ratios.",
    '',
  );
}
writeFileSync(join(here, 'REPORT.md'), `${lines.join('\n')}\n`);
console.log(`wrote ${join(here, 'REPORT.md')}`);
