import type { ChangeAction } from './change-gate';
import type { LintDiagnostic } from './sandbox/lint-report';

/** The last test run as the commit rule needs it. */
export interface TestRunRecord {
  seq: number;
  at: string;
  passed: boolean;
  failed: number;
  /** Tests that passed, as the runner reported them. */
  passedCount?: number;
  exitCode: number | null;
  timedOut: boolean;
}

/** The last lint run, parsed, for `read_lints`. */
export interface LintRunRecord {
  seq: number;
  at: string;
  exitCode: number | null;
  timedOut: boolean;
  diagnostics: LintDiagnostic[];
  outputTail: string;
}

/** The JSON form of {@link ToolRunState}, for checkpoints. */
export interface ToolRunStateJson {
  seq: number;
  filesTouched: string[];
  addedLines: number;
  removedLines: number;
  lastEdit?: { seq: number; at: string };
  lastTestRun?: TestRunRecord;
  lastLint?: LintRunRecord;
  lastCommit?: { seq: number; at: string; sha: string };
  trailers?: Record<string, string>;
}

/** What the tools of one job have done so far: cumulative changes, the last edit, test and lint runs. */
export class ToolRunState {
  private seq = 0;
  private readonly touched = new Set<string>();
  private added = 0;
  private removed = 0;
  private edit?: { seq: number; at: string };
  private testRun?: TestRunRecord;
  private lint?: LintRunRecord;
  private commit?: { seq: number; at: string; sha: string };
  /** Trailers appended to commit messages (set by the runtime, e.g. job id and ledger hash). */
  trailers?: Record<string, string>;

  constructor(private readonly now: () => Date = () => new Date()) {}

  get filesTouched(): string[] {
    return [...this.touched].sort();
  }
  get addedLines(): number {
    return this.added;
  }
  get removedLines(): number {
    return this.removed;
  }
  get lastEdit(): { seq: number; at: string } | undefined {
    return this.edit;
  }
  get lastTestRun(): TestRunRecord | undefined {
    return this.testRun;
  }
  get lastLint(): LintRunRecord | undefined {
    return this.lint;
  }
  get lastCommit(): { seq: number; at: string; sha: string } | undefined {
    return this.commit;
  }

  /** Records an applied change; it invalidates earlier test runs for the commit rule. */
  recordChange(action: Pick<ChangeAction, 'paths' | 'addedLines' | 'removedLines'>): void {
    for (const path of action.paths) this.touched.add(path);
    this.added += action.addedLines;
    this.removed += action.removedLines;
    this.edit = this.stamp();
  }

  recordTestRun(run: Omit<TestRunRecord, 'seq' | 'at'>): TestRunRecord {
    this.testRun = { ...run, ...this.stamp() };
    return this.testRun;
  }

  recordLint(run: Omit<LintRunRecord, 'seq' | 'at'>): LintRunRecord {
    this.lint = { ...run, ...this.stamp() };
    return this.lint;
  }

  recordCommit(sha: string): void {
    this.commit = { ...this.stamp(), sha };
  }

  /** Why a commit is not allowed now, or undefined when the last test run after the last edit passed. */
  commitBlocker(): string | undefined {
    const run = this.testRun;
    if (!run) return 'no test run yet: call run_tests and commit once it passes';
    if (this.edit && run.seq < this.edit.seq) return 'files changed since the last test run: call run_tests again';
    if (run.timedOut) return 'the last test run timed out';
    if (!run.passed && run.failed === 0 && run.exitCode === 0)
      return 'the last test run reported no test run: a run that executes no test is not green';
    if (!run.passed) return `the last test run failed (${run.failed} failing, exit ${run.exitCode}): fix it and run the tests again`;
    return undefined;
  }

  toJSON(): ToolRunStateJson {
    return {
      seq: this.seq,
      filesTouched: this.filesTouched,
      addedLines: this.added,
      removedLines: this.removed,
      ...(this.edit && { lastEdit: this.edit }),
      ...(this.testRun && { lastTestRun: this.testRun }),
      ...(this.lint && { lastLint: this.lint }),
      ...(this.commit && { lastCommit: this.commit }),
      ...(this.trailers && { trailers: this.trailers }),
    };
  }

  static fromJSON(json: ToolRunStateJson, now?: () => Date): ToolRunState {
    const state = new ToolRunState(now);
    state.seq = json.seq;
    for (const path of json.filesTouched) state.touched.add(path);
    state.added = json.addedLines;
    state.removed = json.removedLines;
    state.edit = json.lastEdit;
    state.testRun = json.lastTestRun;
    state.lint = json.lastLint;
    state.commit = json.lastCommit;
    state.trailers = json.trailers;
    return state;
  }

  private stamp(): { seq: number; at: string } {
    this.seq += 1;
    return { seq: this.seq, at: this.now().toISOString() };
  }
}
