// The stand-in for the remote model in `npm run bench:intake`: a keyword reader that answers the
// intake tool call the way a model would (an intent, or a question when it finds nothing to act
// on). It is NOT a model and its choices say nothing about one; it lets the benchmark drive the
// real grammar → model → engine → policy path end to end, offline, and measure what that path does
// with every request the grammar leaves to the model. Written from general commit vocabulary,
// never tuned to the corpus.

const KINDS = [
  ['dependency_update', /\b(upgrade|bump|dependenc|deps?\b|npm|crate|msrv|pin(ned)?\b|version of|requirements?\b)/],
  ['performance', /\b(fast|slow|speed|perf|memory|alloc|optimi[sz]|latency|throughput|cache)/],
  ['document', /\b(docs?\b|documentation|readme|typo|comment|example|changelog|guide)/],
  ['test', /\b(tests?\b|spec\b|coverage|fixture|ci\b)/],
  ['bug_fix', /\b(fix|bug|crash|error|fail|broken|wrong|incorrect|issue|leak|panic|regression|hang|missing)/],
  ['refactor', /\b(refactor|clean|simplif|rename|extract|move|internal|restructur|lint)/],
  ['feature', /\b(add|support|new|allow|introduce|implement|enable|expose|option|flag)/],
  ['change', /\b(change|use|switch|replace|remove|deprecat|default|drop|update|make|rework|improve)/],
];

/** The request text out of the intake prompt (between `<<<` and `>>>`). */
export function requestText(prompt) {
  const at = prompt.indexOf('Request:\n<<<\n');
  const end = prompt.lastIndexOf('\n>>>');
  return at >= 0 && end > at ? prompt.slice(at + 13, end) : prompt;
}

/** The tool input a model might send for this request and these repository files. */
export function standInProposal(text, files = []) {
  const lower = text.toLowerCase();
  const kind = KINDS.find(([, re]) => re.test(lower));
  if (!kind) {
    return {
      understood: false,
      clarification: { question: 'What should change, and in which file or component?', missing: 'operation', suggestions: [] },
    };
  }
  const targets = files.filter((f) => lower.includes(f.toLowerCase())).slice(0, 3);
  return {
    understood: true,
    operation: kind[0],
    targets,
    description: text.split('\n')[0].slice(0, 200),
    mode: kind[0] === 'feature' || kind[0] === 'refactor' ? 'genius' : 'mechanic',
  };
}
