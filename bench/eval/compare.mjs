// `npm run eval:compare -- a.json b.json`: two eval runs (`npm run eval -- --out a.json`) side by
// side, each figure with the ratio B/A, then each task's outcome in both.
import { readFileSync } from 'node:fs';
import { compareRuns } from './lib/report.mjs';

const files = process.argv.slice(2);
if (files.length !== 2) {
  console.error('usage: npm run eval:compare -- a.json b.json   (two results of `npm run eval -- --out FILE`)');
  process.exit(2);
}
const [a, b] = files.map((file) => {
  try {
    const run = JSON.parse(readFileSync(file, 'utf8'));
    if (!run.summary || !Array.isArray(run.results)) throw new Error('not the JSON of an eval run');
    return run;
  } catch (error) {
    console.error(`${file}: ${error.message}`);
    process.exit(2);
  }
});
console.log(`A: ${files[0]} (${a.label}, ${a.at})\nB: ${files[1]} (${b.label}, ${b.at})\n`);
console.log(compareRuns(a, b));
