// Intent parsing throughput: Rust alone vs through the Node binding.
// Usage: node bench/tdln/run.mjs [iterations]   (build the binding with --release first)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);
const tdln = require(join(root, 'native', 'binding', 'index.js'));
const phrasesPath = join(here, 'phrases.json');
const phrases = JSON.parse(readFileSync(phrasesPath, 'utf8'));
const iterations = Number(process.argv[2] ?? 2000);
const calls = iterations * phrases.length;

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

// 1. Rust alone (separate release binary).
const rustOut = execFileSync(
  'cargo',
  [
    'run',
    '--quiet',
    '--release',
    '--manifest-path',
    join(root, 'native', 'Cargo.toml'),
    '-p',
    'tdln-bench',
    '--',
    phrasesPath,
    String(iterations),
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const rust = JSON.parse(rustOut.trim().split('\n').pop());

// 2. Node: one boundary crossing per intent, result converted to JS objects.
for (const p of phrases) tdln.parseIntent(p);
let accepted = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  for (const p of phrases) if (tdln.parseIntent(p).ok) accepted++;
}
const nodeNs = Number(process.hrtime.bigint() - t0);
const nodePerCall = nodeNs / calls;

// 3. Same loop inside the addon (one crossing in total): engine time in the Node process.
const inAddonNs = tdln.benchParseIntents(phrases, iterations);
const inAddonPerCall = inAddonNs / calls;

// 4. A trivial call (sha256Hex of one byte) for the bare cost of crossing the boundary.
const trivialCalls = 200000;
const t1 = process.hrtime.bigint();
for (let i = 0; i < trivialCalls; i++) tdln.sha256Hex('x');
const trivialPerCall = Number(process.hrtime.bigint() - t1) / trivialCalls;

const overhead = nodePerCall - inAddonPerCall;
console.log(`TDLN intent parsing: ${phrases.length} phrasings x ${iterations} iterations = ${fmt(calls)} calls`);
console.log(
  `  Rust alone (tdln-bench)      ${fmt(rust.perSecond).padStart(10)} intents/s  ${rust.nsPerCall.toFixed(0).padStart(8)} ns/call`,
);
console.log(
  `  Rust inside the addon        ${fmt(1e9 / inAddonPerCall).padStart(10)} intents/s  ${inAddonPerCall.toFixed(0).padStart(8)} ns/call`,
);
console.log(
  `  Node -> binding per call     ${fmt(1e9 / nodePerCall).padStart(10)} intents/s  ${nodePerCall.toFixed(0).padStart(8)} ns/call`,
);
console.log(
  `  boundary overhead            ${overhead.toFixed(0)} ns/call (node vs in-addon), ${(nodePerCall - rust.nsPerCall).toFixed(0)} ns/call (node vs rust binary)`,
);
console.log(
  `  trivial call (sha256Hex 'x')  ${trivialPerCall.toFixed(0)} ns/call: the rest of the overhead is building the result objects`,
);
console.log(
  `  ratio node/rust              ${(nodePerCall / rust.nsPerCall).toFixed(2)}x (node/in-addon ${(nodePerCall / inAddonPerCall).toFixed(2)}x)`,
);
const info = tdln.engineInfo();
console.log(`  grammar ${info.grammarId}@${info.grammarVersion}: ${info.rules} rules, ${info.patterns} patterns`);
console.log(`  accepted per pass            rust ${rust.accepted / iterations}, node ${accepted / iterations} of ${phrases.length}`);

import('node:fs').then(({ writeFileSync }) =>
  writeFileSync(
    new URL('./last-run.json', import.meta.url),
    `${JSON.stringify({ at: new Date().toISOString(), calls, rust: { perSecond: Math.round(rust.perSecond), nsPerCall: Math.round(rust.nsPerCall) }, inAddon: { perSecond: Math.round(1e9 / inAddonPerCall), nsPerCall: Math.round(inAddonPerCall) }, node: { perSecond: Math.round(1e9 / nodePerCall), nsPerCall: Math.round(nodePerCall) }, boundaryOverheadNs: Math.round(overhead), trivialCallNs: Math.round(trivialPerCall), ratioNodeOverRust: +(nodePerCall / rust.nsPerCall).toFixed(2), grammar: { version: info.grammarVersion, rules: info.rules, patterns: info.patterns } }, null, 2)}\n`,
  ),
);
