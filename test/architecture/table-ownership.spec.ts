import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

/** The module that owns each table: only it reads or writes the table with SQL. */
const OWNERS: Record<string, string> = { jobs: 'jobs', events: 'events', ledger: 'ledger' };

/**
 * Raw SQL against another module's table that is still to move behind the owner's service
 * (issue 18, part 4), by file. The list only shrinks: a new entry fails the test below.
 */
const NOT_YET_MOVED: Record<string, string[]> = {
  'libs/agents/src/budget/budget.service.ts': ['jobs'],
  'libs/chat/src/coordinator.service.ts': ['jobs'],
  'libs/chat/src/messages.service.ts': ['events'],
  'libs/evaluation/src/evaluation.service.ts': ['events', 'jobs', 'ledger'],
  'libs/jobs/src/waiting-reminders.service.ts': ['events'],
  'libs/team/src/closing-stages.ts': ['events', 'jobs'],
  'libs/team/src/job-artifacts.repository.ts': ['jobs'],
  'libs/watcher/src/watcher.service.ts': ['events', 'jobs'],
  // The queue is the jobs table's other writer by design (claim, heartbeat, finish, reap).
  'libs/worker/src/queue.repository.ts': ['jobs'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The owned tables a file's SQL names after FROM, JOIN, UPDATE, INTO or DELETE FROM. */
function tablesTouched(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  for (const table of Object.keys(OWNERS)) {
    if (new RegExp(`\\b(FROM|JOIN|UPDATE|INTO)\\s+${table}\\b`, 'i').test(text)) found.add(table);
  }
  return [...found].sort();
}

describe('table ownership', () => {
  it("leaves each of the jobs, events and ledger tables to its own module's SQL: metrics and chat's job updates read them through the owners' services", () => {
    const violations: Record<string, string[]> = {};
    for (const lib of readdirSync(join(root, 'libs'))) {
      for (const file of sources(join(root, 'libs', lib, 'src'))) {
        const foreign = tablesTouched(readFileSync(file, 'utf8')).filter((table) => OWNERS[table] !== lib);
        if (foreign.length > 0) violations[relative(root, file)] = foreign;
      }
    }
    const unexpected = Object.entries(violations)
      .map(([file, tables]) => ({ file, tables: tables.filter((t) => !(NOT_YET_MOVED[file] ?? []).includes(t)) }))
      .filter((v) => v.tables.length > 0);
    expect(unexpected).toEqual([]);
    expect(Object.keys(violations).filter((file) => file.startsWith('libs/metrics/') || file.endsWith('job-updates.listener.ts'))).toEqual(
      [],
    );
  });
});
