// Figures of an eval run: per task and in sum, as a Markdown table and as JSON.

const round = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Why a task is not solved, as a category (the key of `failures`) and in words. */
export const FAILURE_KINDS = {
  intake_refused: 'the request was refused before a job existed',
  job_failed: 'the job failed (its error code says why)',
  waiting_human: 'the job stopped to ask a person',
  eval_timeout: 'the job did not finish within the eval time limit',
  no_change: 'the job ended without a change on its branch',
  tests_fail: 'the acceptance tests fail after the change',
};

/** The summary of a run's task results. */
export function summarise(results) {
  const n = results.length;
  const solved = results.filter((r) => r.solved);
  const sum = (key) => results.reduce((a, r) => a + (r.usage?.[key] ?? 0), 0);
  const cost = sum('costCents');
  const tokens = sum('tokens');
  const failures = {};
  for (const r of results) if (!r.solved) failures[r.failure.kind] = (failures[r.failure.kind] ?? 0) + 1;
  const errorCodes = {};
  for (const r of results) if (r.job?.error?.code) errorCodes[r.job.error.code] = (errorCodes[r.job.error.code] ?? 0) + 1;
  return {
    tasks: n,
    solved: solved.length,
    solveRate: n ? round(solved.length / n, 3) : null,
    costCents: round(cost, 3),
    tokens,
    costCentsPerSolved: solved.length ? round(cost / solved.length, 3) : null,
    tokensPerSolved: solved.length ? Math.round(tokens / solved.length) : null,
    stepsMean: n ? round(sum('steps') / n, 1) : null,
    stepsPerSolvedMean: solved.length ? round(solved.reduce((a, r) => a + r.usage.steps, 0) / solved.length, 1) : null,
    wallMsMedian: median(results.filter((r) => r.wallMs !== null).map((r) => r.wallMs)),
    wallMsTotal: results.reduce((a, r) => a + (r.wallMs ?? 0), 0),
    escalated: results.filter((r) => r.escalation?.escalated).length,
    failures,
    errorCodes,
    bySplit: Object.fromEntries(
      ['dev', 'holdout'].map((split) => {
        const of = results.filter((r) => r.split === split);
        return [split, { tasks: of.length, solved: of.filter((r) => r.solved).length }];
      }),
    ),
  };
}

const cents = (x) => (x === null || x === undefined ? '—' : x.toFixed(x < 1 ? 3 : 2));
const seconds = (ms) => (ms === null || ms === undefined ? '—' : (ms / 1000).toFixed(1));
const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The per-task table and the summary lines, in Markdown. */
export function markdownTable(run) {
  const lines = [
    '| task | language | split | solved | job | acceptance tests | steps | tokens | cost (¢) | wall (s) | escalated | why not solved |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of run.results) {
    const job = r.job ? `${r.job.status}${r.job.error ? ` (${r.job.error.code})` : ''}` : 'not created';
    const tests = r.judge?.tests
      ? r.judge.tests.passed
        ? 'pass'
        : `fail${r.judge.tests.failing.length ? `: ${r.judge.tests.failing.join(', ')}` : ''}`
      : '—';
    lines.push(
      `| ${r.id} | ${r.language} | ${r.split} | ${r.solved ? 'yes' : 'no'} | ${cell(job)} | ${cell(tests)} | ${r.usage?.steps ?? '—'} | ${r.usage?.tokens ?? '—'} | ${cents(r.usage?.costCents)} | ${seconds(r.wallMs)} | ${r.escalation?.escalated ? 'yes' : 'no'} | ${cell(r.solved ? '' : r.failure.reason)} |`,
    );
  }
  const s = run.summary;
  const failures = Object.entries(s.failures)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  lines.push(
    '',
    `**Solved ${s.solved} of ${s.tasks} (${pct(s.solveRate)})** — dev ${s.bySplit.dev.solved}/${s.bySplit.dev.tasks}, holdout ${s.bySplit.holdout.solved}/${s.bySplit.holdout.tasks}. ` +
      `Cost ${cents(s.costCents)}¢ in all, ${cents(s.costCentsPerSolved)}¢ per solved task; ${s.tokensPerSolved ?? '—'} tokens per solved task; ` +
      `${s.stepsMean ?? '—'} steps per task (${s.stepsPerSolvedMean ?? '—'} per solved task); wall time median ${seconds(s.wallMsMedian)} s, ${seconds(s.wallMsTotal)} s in all; ` +
      `escalated ${s.escalated} (${run.escalationData}).${failures ? ` Not solved: ${failures}.` : ''}`,
  );
  return lines.join('\n');
}

/** Two runs side by side: each figure of A and B, and B/A. */
export function compareRuns(a, b) {
  const ratio = (x, y) => (x && y !== null && y !== undefined ? `${(y / x).toFixed(2)}x` : '—');
  const rows = [
    ['solve rate', pct(a.summary.solveRate), pct(b.summary.solveRate), ratio(a.summary.solveRate, b.summary.solveRate)],
    [
      'solved',
      `${a.summary.solved}/${a.summary.tasks}`,
      `${b.summary.solved}/${b.summary.tasks}`,
      ratio(a.summary.solved, b.summary.solved),
    ],
    [
      'cost per solved task (¢)',
      cents(a.summary.costCentsPerSolved),
      cents(b.summary.costCentsPerSolved),
      ratio(a.summary.costCentsPerSolved, b.summary.costCentsPerSolved),
    ],
    [
      'tokens per solved task',
      a.summary.tokensPerSolved ?? '—',
      b.summary.tokensPerSolved ?? '—',
      ratio(a.summary.tokensPerSolved, b.summary.tokensPerSolved),
    ],
    ['steps per task', a.summary.stepsMean ?? '—', b.summary.stepsMean ?? '—', ratio(a.summary.stepsMean, b.summary.stepsMean)],
    [
      'wall time median (s)',
      seconds(a.summary.wallMsMedian),
      seconds(b.summary.wallMsMedian),
      ratio(a.summary.wallMsMedian, b.summary.wallMsMedian),
    ],
    ['escalated', a.summary.escalated, b.summary.escalated, ratio(a.summary.escalated, b.summary.escalated)],
    ['total cost (¢)', cents(a.summary.costCents), cents(b.summary.costCents), ratio(a.summary.costCents, b.summary.costCents)],
  ];
  const label = (run) => (run.model.scripted ? 'scripted' : `${run.model.provider} ${run.model.mechanic} / ${run.model.genius}`);
  const lines = [
    `| figure | A: ${cell(label(a))} | B: ${cell(label(b))} | B/A |`,
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  const ids = [...new Set([...a.results, ...b.results].map((r) => r.id))].sort();
  lines.push('', '| task | A | B |', '|---|---|---|');
  const outcome = (run, id) => {
    const r = run.results.find((x) => x.id === id);
    return r ? (r.solved ? 'solved' : `no: ${cell(r.failure.reason)}`) : 'not run';
  };
  for (const id of ids) lines.push(`| ${id} | ${outcome(a, id)} | ${outcome(b, id)} |`);
  return lines.join('\n');
}
