import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeAction, ChangeGate, GateDecision } from '../change-gate';
import { createToolRegistry } from '../create-tools';
import { Sandbox } from '../sandbox/sandbox';
import { fixtureContext } from '../testing';
import { ToolRunState } from '../tool-run-state';

const hasBwrap = (() => {
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

class ScriptedGate implements ChangeGate {
  readonly seen: ChangeAction[] = [];
  constructor(private readonly decision: GateDecision) {}
  async check(action: ChangeAction): Promise<GateDecision> {
    this.seen.push(action);
    return this.decision;
  }
}

const registry = createToolRegistry({ sandbox: new Sandbox({ timeoutMs: 60_000 }) });

describe('edit_file and apply_patch on the calc-js fixture', () => {
  let f: Awaited<ReturnType<typeof fixtureContext>>;
  const call = (name: string, input: unknown) => registry.run(name, input, f.ctx) as Promise<any>;
  const read = (path: string) => readFileSync(join(f.workspace.root, path), 'utf8');

  beforeEach(async () => {
    f = await fixtureContext('calc-js');
  });
  afterEach(() => f.dispose());

  it('replaces a unique match and records the change', async () => {
    const result = await call('edit_file', {
      path: 'src/calc.js',
      oldText: 'function subtract(a, b) {\n  return a + b;',
      newText: 'function subtract(a, b) {\n  return a - b;',
    });
    expect(result).toMatchObject({ ok: true, data: { path: 'src/calc.js', addedLines: 1, removedLines: 1 } });
    expect(read('src/calc.js')).toContain('function subtract(a, b) {\n  return a - b;');
    expect(f.ctx.state.filesTouched).toEqual(['src/calc.js']);
    expect(f.ctx.state.lastEdit?.seq).toBe(1);
  });

  it('refuses a text that occurs more than once with not_unique and the count, changing nothing', async () => {
    const before = read('src/calc.js');
    const result = await call('edit_file', { path: 'src/calc.js', oldText: 'return a + b;', newText: 'return 0;' });
    expect(result.error).toMatchObject({ code: 'not_unique', details: { occurrences: 2 } });
    expect(read('src/calc.js')).toBe(before);
    expect(f.ctx.state.lastEdit).toBeUndefined();
  });

  it('refuses a text that does not occur with no_match', async () => {
    const result = await call('edit_file', { path: 'src/calc.js', oldText: 'return a / b;', newText: 'x' });
    expect(result.error).toMatchObject({ code: 'no_match', details: { occurrences: 0 } });
  });

  it('creates a new file when oldText is empty, and refuses that for an existing file', async () => {
    const created = await call('edit_file', { path: 'src/lib/divide.js', oldText: '', newText: 'module.exports = (a, b) => a / b;\n' });
    expect(created).toMatchObject({ ok: true, data: { created: true, addedLines: 1 } });
    expect(read('src/lib/divide.js')).toBe('module.exports = (a, b) => a / b;\n');
    expect((await call('edit_file', { path: 'src/calc.js', oldText: '', newText: 'x' })).error.code).toBe('invalid_input');
    expect((await call('edit_file', { path: '../escape.js', oldText: '', newText: 'x' })).error.code).toBe('outside_workspace');
    expect(existsSync(join(f.workspace.root, '..', 'escape.js'))).toBe(false);
  });

  it('does not apply an edit that needs approval and reports approval_required', async () => {
    const gate = new ScriptedGate({ verdict: 'require_approval', violations: [{ rule: 'max_files', message: 'too many files' }] });
    f.ctx.gate = gate;
    const before = read('src/calc.js');
    const result = await call('edit_file', { path: 'src/calc.js', oldText: 'return a * b;', newText: 'return b * a;' });
    expect(result.error).toMatchObject({ code: 'approval_required', details: { violations: [{ rule: 'max_files' }] } });
    expect(read('src/calc.js')).toBe(before);
    expect(gate.seen).toEqual([{ kind: 'edit', paths: ['src/calc.js'], addedLines: 1, removedLines: 1 }]);
  });

  it('does not apply a blocked patch and reports policy_blocked with the violations and remediation', async () => {
    f.ctx.gate = new ScriptedGate({
      verdict: 'block',
      violations: [{ rule: 'no_delete', message: 'deleting files is not allowed', path: 'src/calc.js' }],
      remediation: 'edit the file instead',
    });
    const patch =
      'diff --git a/src/calc.js b/src/calc.js\ndeleted file mode 100644\n--- a/src/calc.js\n+++ /dev/null\n' +
      hunkDeleting(read('src/calc.js'));
    const result = await call('apply_patch', { patch });
    expect(result.error).toMatchObject({ code: 'policy_blocked', details: { remediation: 'edit the file instead' } });
    expect(result.error.message).toContain('deleting files is not allowed');
    expect(existsSync(join(f.workspace.root, 'src/calc.js'))).toBe(true);
  });

  it('applies a patch that edits, creates and deletes files', async () => {
    const patch = [
      '--- a/src/calc.js',
      '+++ b/src/calc.js',
      '@@ -8,4 +8,4 @@',
      ' /** Subtracts b from a. */',
      ' function subtract(a, b) {',
      '-  return a + b;',
      '+  return a - b;',
      ' }',
      '--- /dev/null',
      '+++ b/src/divide.js',
      '@@ -0,0 +1,2 @@',
      "+'use strict';",
      '+module.exports = (a, b) => a / b;',
      '--- a/scripts/lint.js',
      '+++ /dev/null',
      hunkDeleting(read('scripts/lint.js')).trimEnd(),
      '',
    ].join('\n');
    const result = await call('apply_patch', { patch });
    expect(result.ok).toBe(true);
    expect(result.data.files).toEqual([
      { path: 'src/calc.js', kind: 'edit' },
      { path: 'src/divide.js', kind: 'create' },
      { path: 'scripts/lint.js', kind: 'delete' },
    ]);
    expect(read('src/calc.js')).toContain('return a - b;');
    expect(read('src/divide.js')).toContain('a / b');
    expect(existsSync(join(f.workspace.root, 'scripts/lint.js'))).toBe(false);
    expect(f.ctx.state.filesTouched).toEqual(['scripts/lint.js', 'src/calc.js', 'src/divide.js']);
  });

  it("reports patch_failed with git's reason for a patch that does not apply, then applies the corrected one", async () => {
    const wrong = [
      '--- a/src/calc.js',
      '+++ b/src/calc.js',
      '@@ -9,3 +9,3 @@',
      ' /** Subtracts b from a. */',
      ' function subtract(x, y) {',
      '-  return x + y;',
      '+  return x - y;',
      ' }',
      '',
    ].join('\n');
    const before = read('src/calc.js');
    const failed = await call('apply_patch', { patch: wrong });
    expect(failed.error.code).toBe('patch_failed');
    expect(failed.error.message).toMatch(/patch failed: src\/calc\.js/);
    expect(read('src/calc.js')).toBe(before);
    expect(f.ctx.state.lastEdit).toBeUndefined();

    const corrected = wrong.replace('(x, y)', '(a, b)').replace('x + y', 'a + b').replace('x - y', 'a - b');
    expect((await call('apply_patch', { patch: corrected })).ok).toBe(true);
    expect(read('src/calc.js')).toContain('return a - b;');
  });

  it('applies a valid git diff whose hunk removes a `-- ` line and adds a `++ ` line, with the paths and counts git reads', async () => {
    const sql = 'CREATE TABLE t (id int);\n-- old comment\nSELECT 1;\n';
    expect((await call('edit_file', { path: 'db/schema.sql', oldText: '', newText: sql })).ok).toBe(true);
    const gate = new ScriptedGate({ verdict: 'allow', violations: [] });
    f.ctx.gate = gate;
    const patch = [
      'diff --git a/db/schema.sql b/db/schema.sql',
      '--- a/db/schema.sql',
      '+++ b/db/schema.sql',
      '@@ -1,3 +1,3 @@',
      ' CREATE TABLE t (id int);',
      '--- old comment',
      '+++ counter',
      ' SELECT 1;',
      '',
    ].join('\n');
    const result = await call('apply_patch', { patch });
    expect(result.ok).toBe(true);
    expect(result.data).toEqual({ files: [{ path: 'db/schema.sql', kind: 'edit' }], addedLines: 1, removedLines: 1 });
    expect(gate.seen).toEqual([{ kind: 'edit', paths: ['db/schema.sql'], addedLines: 1, removedLines: 1 }]);
    expect(read('db/schema.sql')).toBe('CREATE TABLE t (id int);\n++ counter\nSELECT 1;\n');
  });

  it('reads renames from git: the gate sees the old and the new path', async () => {
    const gate = new ScriptedGate({ verdict: 'allow', violations: [] });
    f.ctx.gate = gate;
    const patch = [
      'diff --git a/src/calc.js b/src/lib/calc.js',
      'similarity index 100%',
      'rename from src/calc.js',
      'rename to src/lib/calc.js',
      '',
    ].join('\n');
    const result = await call('apply_patch', { patch });
    expect(result.ok).toBe(true);
    expect(result.data.files).toEqual([{ path: 'src/lib/calc.js', kind: 'rename', from: 'src/calc.js' }]);
    expect(gate.seen[0]).toMatchObject({ kind: 'rename', paths: ['src/calc.js', 'src/lib/calc.js'] });
    expect(existsSync(join(f.workspace.root, 'src/lib/calc.js'))).toBe(true);
  });

  it('refuses a patch touching .git or leaving the workspace', async () => {
    const patch = ['--- /dev/null', '+++ b/.git/hooks/post-checkout', '@@ -0,0 +1 @@', '+echo pwned', ''].join('\n');
    expect((await call('apply_patch', { patch })).error.code).toBe('outside_workspace');
    const escape = ['--- /dev/null', '+++ b/../evil.txt', '@@ -0,0 +1 @@', '+x', ''].join('\n');
    expect((await call('apply_patch', { patch: escape })).error.code).toBe('outside_workspace');
  });
});

describe.skipIf(!hasBwrap)('run_tests and commit_changes (bubblewrap; install with apt-get install bubblewrap)', () => {
  let f: Awaited<ReturnType<typeof fixtureContext>>;
  const call = (name: string, input: unknown) => registry.run(name, input, f.ctx) as Promise<any>;

  beforeEach(async () => {
    f = await fixtureContext('calc-js', { jobId: 'job-commit' });
  });
  afterEach(() => f.dispose());

  it('parses a failing node --test run, refuses the commit, then commits after the fix passes', async () => {
    await call('edit_file', { path: 'src/calc.js', oldText: '/** Adds two numbers. */', newText: '/** Adds two numbers together. */' });
    const refusedBeforeTests = await call('commit_changes', { message: 'Fix subtract' });
    expect(refusedBeforeTests.error.code).toBe('tests_not_green');

    const failing = await call('run_tests', {});
    expect(failing.ok).toBe(true);
    expect(failing.data).toMatchObject({ runner: 'tap', passed: 2, failed: 1, skipped: 0, green: false, exitCode: 1 });
    expect(failing.data.failures[0].name).toBe('subtract takes the second number from the first');
    expect(failing.data.failures[0].excerpt).toContain('8 !== 2');
    expect((await call('commit_changes', { message: 'Fix subtract' })).error.code).toBe('tests_not_green');

    await call('edit_file', {
      path: 'src/calc.js',
      oldText: 'function subtract(a, b) {\n  return a + b;',
      newText: 'function subtract(a, b) {\n  return a - b;',
    });
    const green = await call('run_tests', {});
    expect(green.data).toMatchObject({ passed: 3, failed: 0, green: true, exitCode: 0 });

    f.ctx.trailers = { 'AICT-Job': 'job-commit' };
    const committed = await call('commit_changes', { message: 'Fix subtract' });
    expect(committed.ok).toBe(true);
    const log = execFileSync('git', ['-c', 'safe.directory=*', 'log', '-1', '--format=%H%n%an <%ae>%n%B', 'aict/job-commit'], {
      cwd: f.workspace.root,
    })
      .toString()
      .split('\n');
    expect(log[0]).toBe(committed.data.sha);
    expect(log[1]).toBe('AI Coding Team <aict@localhost>');
    expect(log.slice(2).join('\n')).toContain('Fix subtract\n\nAICT-Job: job-commit');
  });

  it('refuses the commit when files changed after the last green run', async () => {
    await call('edit_file', {
      path: 'src/calc.js',
      oldText: 'function subtract(a, b) {\n  return a + b;',
      newText: 'function subtract(a, b) {\n  return a - b;',
    });
    expect((await call('run_tests', {})).data.green).toBe(true);
    await call('edit_file', { path: 'src/calc.js', oldText: '/** Multiplies two numbers. */', newText: '/** Multiplies. */' });
    const refused = await call('commit_changes', { message: 'x' });
    expect(refused.error).toMatchObject({ code: 'tests_not_green', message: expect.stringContaining('changed since the last test run') });
  });

  it('runs the lint command and keeps its parsed problems for read_lints', async () => {
    await call('edit_file', { path: 'src/calc.js', oldText: "'use strict';", newText: "'use strict';\nvar unused = 1;  " });
    const lint = await call('run_lint', {});
    expect(lint.data.clean).toBe(false);
    const lints = await call('read_lints', { path: 'src/calc.js' });
    expect(lints.data.diagnostics).toEqual([
      { path: 'src/calc.js', line: 2, column: 16, severity: 'error', message: 'trailing whitespace', rule: 'no-trailing-spaces' },
      { path: 'src/calc.js', line: 2, column: 1, severity: 'error', message: 'unexpected var, use let or const', rule: 'no-var' },
    ]);
  });

  it('restores the run state from its JSON so the commit rule survives a checkpoint', async () => {
    await call('edit_file', {
      path: 'src/calc.js',
      oldText: 'function subtract(a, b) {\n  return a + b;',
      newText: 'function subtract(a, b) {\n  return a - b;',
    });
    await call('run_tests', {});
    f.ctx.state = ToolRunState.fromJSON(JSON.parse(JSON.stringify(f.ctx.state)));
    expect(f.ctx.state.commitBlocker()).toBeUndefined();
    expect((await call('commit_changes', { message: 'Fix subtract' })).ok).toBe(true);
  });
});

function hunkDeleting(content: string): string {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return `@@ -1,${lines.length} +0,0 @@\n${lines.map((l) => `-${l}`).join('\n')}\n`;
}
