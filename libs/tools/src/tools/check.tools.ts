import { fail, ok, passGate, gateWarnings, ToolContext, ToolDefinition, ToolResult } from '../tool';
import { ToolsErrorCode } from '../tools.errors';
import { LintDiagnostic, parseLintOutput } from '../sandbox/lint-report';
import { detectProjectCommands, ProjectCommands, withLintFix, withTestFilter } from '../sandbox/project-commands';
import type { Sandbox, SandboxRun } from '../sandbox/sandbox';
import { parseTestOutput, TestFailure, TestReport } from '../sandbox/test-report';

const TAIL_BYTES = 8 * 1024;

export interface RunTestsInput {
  filter?: string;
}
/** The result of one test run. */
export interface TestRunResult extends TestReport {
  command: string[];
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  /** True when the run exited 0, reported at least one passing test and none failing. */
  green: boolean;
  /** Why a run that exited 0 is not green (no test was reported as run). */
  notGreenBecause?: string;
  /** `.git` entries the run planted below the root, removed before git could look at them. */
  removedRepositories?: string[];
  /** The end of the output. */
  outputTail: string;
}

/** `run_tests`: runs the repository's test command in the sandbox and parses the counts. */
export function runTestsTool(sandbox: Sandbox): ToolDefinition<RunTestsInput, TestRunResult> {
  return {
    name: 'run_tests',
    description:
      "Run the repository's tests (from .aict.yml, else npm/pytest/cargo/go) in a sandbox without network. Returns passed/failed/skipped counts and the failures. " +
      '`filter` narrows the run (a test file or name pattern, passed to the runner).',
    inputSchema: {
      type: 'object',
      properties: { filter: { type: 'string', minLength: 1, description: 'Test file or name pattern.' } },
      additionalProperties: false,
    },
    risk: 'reversible',
    mutating: false,
    async run(input, ctx) {
      const commands = detectProjectCommands(ctx.workspace.root);
      const argv = withTestFilter(commands, input.filter);
      if (!argv) return noCommand('test', commands);
      const run = await sandboxed(sandbox, argv, ctx);
      if ('ok' in run) return run;
      const planted = await ctx.workspace.scrubNestedRepositories();
      const report = parseTestOutput(run.output, run.exitCode);
      // A run that executed no test proves nothing: green needs at least one test the runner reported passing.
      const ranNone = run.exitCode === 0 && !run.timedOut && !run.diskQuotaExceeded && report.failed === 0 && report.passed === 0;
      const green = run.exitCode === 0 && !run.timedOut && !run.diskQuotaExceeded && report.failed === 0 && report.passed > 0;
      ctx.state.recordTestRun({
        passed: green,
        failed: report.failed,
        passedCount: report.passed,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
      });
      const result: TestRunResult = {
        ...report,
        command: argv,
        exitCode: run.exitCode,
        durationMs: run.durationMs,
        timedOut: run.timedOut,
        green,
        ...(ranNone && {
          notGreenBecause:
            report.runner === 'exit_code'
              ? 'the test command exited 0 but its output shows no test run (no TAP, vitest, jest, pytest, cargo or go test summary)'
              : `the ${report.runner} run reported no test passed`,
        }),
        ...(planted.length && { removedRepositories: planted }),
        outputTail: tail(run.output),
      };
      if (run.diskQuotaExceeded) return fail(ToolsErrorCode.DiskQuotaExceeded, `The tests ${quotaReason(run)}`, result);
      if (run.timedOut)
        return fail(ToolsErrorCode.Timeout, `The tests did not finish within the time limit and were killed (${argv.join(' ')}).`, result);
      return ok(result, summarizeTests(result));
    },
  };
}

export interface RunLintInput {
  fix?: boolean;
}
export interface LintRunResult {
  command: string[];
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  clean: boolean;
  diagnostics: LintDiagnostic[];
  outputTail: string;
  /** Files the fix run changed. */
  fixedFiles: string[];
}

/** `run_lint`: runs the repository's lint command in the sandbox; the parsed problems are kept for `read_lints`. */
export function runLintTool(sandbox: Sandbox): ToolDefinition<RunLintInput, LintRunResult> {
  return {
    name: 'run_lint',
    description:
      "Run the repository's linter (from .aict.yml, else detected) in a sandbox. `fix: true` lets it fix what it can. Read the problems with read_lints.",
    inputSchema: {
      type: 'object',
      properties: { fix: { type: 'boolean', description: 'Apply automatic fixes.' } },
      additionalProperties: false,
    },
    risk: 'reversible',
    mutating: true,
    async run(input, ctx) {
      const commands = detectProjectCommands(ctx.workspace.root);
      const argv = input.fix ? withLintFix(commands) : commands.lint;
      if (!argv) return noCommand('lint', commands);
      const before = input.fix ? await ctx.workspace.snapshot(ctx.signal) : '';
      const run = await sandboxed(sandbox, argv, ctx);
      if ('ok' in run) return run;
      await ctx.workspace.scrubNestedRepositories();
      let fixedFiles: string[] = [];
      let warnings = '';
      if (input.fix) {
        // What the fixer changed passes the gate like any edit; refused, it is undone.
        const after = await ctx.workspace.snapshot(ctx.signal);
        const fixed = after === before ? [] : await ctx.workspace.changesBetween(before, after, ctx.signal);
        if (fixed.length) {
          const tree = await ctx.workspace.changesBetween(ctx.workspace.info.baseSha, after, ctx.signal);
          const action = {
            kind: 'edit' as const,
            paths: fixed.map((f) => f.path),
            addedLines: fixed.reduce((n, f) => n + f.added, 0),
            removedLines: fixed.reduce((n, f) => n + f.removed, 0),
            files: tree,
          };
          const gate = await passGate(ctx, action);
          if (!gate.proceed) {
            await ctx.workspace.revertTo(before, fixed, ctx.signal);
            return gate.result;
          }
          warnings = gateWarnings(gate.decision);
          fixedFiles = action.paths;
          ctx.state.recordChange(action);
        }
      }
      const diagnostics = parseLintOutput(run.output, ctx.workspace.root);
      ctx.state.recordLint({ exitCode: run.exitCode, timedOut: run.timedOut, diagnostics, outputTail: tail(run.output) });
      const result: LintRunResult = {
        command: argv,
        exitCode: run.exitCode,
        durationMs: run.durationMs,
        timedOut: run.timedOut,
        clean: run.exitCode === 0,
        diagnostics,
        outputTail: tail(run.output),
        fixedFiles,
      };
      if (run.diskQuotaExceeded) return fail(ToolsErrorCode.DiskQuotaExceeded, `The linter ${quotaReason(run)}`, result);
      if (run.timedOut) return fail(ToolsErrorCode.Timeout, 'The linter did not finish within the time limit and was killed.', result);
      return ok(
        result,
        `${result.clean ? 'lint clean' : `lint failed (exit ${run.exitCode})`}, ${diagnostics.length} problem(s)` +
          (fixedFiles.length ? `; fixed files: ${fixedFiles.join(', ')}${warnings}` : ''),
      );
    },
  };
}

export interface ReadLintsInput {
  path?: string;
}
export interface ReadLintsOutput {
  /** When the last lint ran; null when run_lint has not run yet. */
  ranAt: string | null;
  exitCode: number | null;
  diagnostics: LintDiagnostic[];
}

/** `read_lints`: the problems of the last `run_lint`, optionally for one file or directory. */
export const readLintsTool: ToolDefinition<ReadLintsInput, ReadLintsOutput> = {
  name: 'read_lints',
  description: 'Show the problems found by the last run_lint, optionally only those under `path` (a file or directory).',
  inputSchema: {
    type: 'object',
    properties: { path: { type: 'string', description: 'File or directory relative to the repository root.' } },
    additionalProperties: false,
  },
  risk: 'safe',
  mutating: false,
  async run(input, ctx) {
    const last = ctx.state.lastLint;
    if (!last) return ok({ ranAt: null, exitCode: null, diagnostics: [] }, 'run_lint has not run yet in this job');
    let diagnostics = last.diagnostics;
    if (input.path) {
      const prefix = ctx.workspace.relative(ctx.workspace.resolve(input.path));
      if (prefix !== '.') diagnostics = diagnostics.filter((d) => d.path === prefix || d.path.startsWith(`${prefix}/`));
    }
    return ok(
      { ranAt: last.at, exitCode: last.exitCode, diagnostics },
      diagnostics.length
        ? diagnostics
            .map((d) => `${d.path}:${d.line}${d.column ? `:${d.column}` : ''}: ${d.severity}: ${d.message}${d.rule ? ` (${d.rule})` : ''}`)
            .join('\n')
        : `no problems${input.path ? ` under ${input.path}` : ''} in the last lint run`,
    );
  },
};

function noCommand(kind: 'test' | 'lint', commands: ProjectCommands): ToolResult<never> {
  return fail(
    ToolsErrorCode.NoCommand,
    `This repository has no ${kind} command (${commands.source === 'none' ? 'nothing detected' : `none in ${commands.source}`}); ` +
      `add \`${kind}: [argv...]\` to .aict.yml.`,
  );
}

async function sandboxed(sandbox: Sandbox, argv: string[], ctx: ToolContext): Promise<SandboxRun | ToolResult<never>> {
  const run = await sandbox.run(argv, { workspaceRoot: ctx.workspace.root, signal: ctx.signal });
  if (run.aborted) return fail(ToolsErrorCode.Aborted, 'The run was stopped because the job was stopped.');
  return run;
}

/** Why the sandbox stopped or refused a run over the disk quota, in its own words. */
function quotaReason(run: SandboxRun): string {
  const said = /^\[sandbox\] disk quota: (.+)$/m.exec(run.output.slice(-4096))?.[1];
  return `hit the workspace's disk quota (SANDBOX_DISK_MB)${said ? `: ${said}` : ''}.`;
}

function summarizeTests(result: TestRunResult): string {
  const verdict = result.green ? 'tests green' : result.notGreenBecause ? `tests NOT green (${result.notGreenBecause})` : 'tests failing';
  const head = `${verdict}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (exit ${result.exitCode}, ${(result.durationMs / 1000).toFixed(1)}s)`;
  const failures = result.failures.map((f: TestFailure) => `✗ ${f.name}\n${f.excerpt}`).join('\n');
  const planted = result.removedRepositories?.length
    ? `\nremoved nested repositories the run created (never committed): ${result.removedRepositories.join(', ')}`
    : '';
  return (failures ? `${head}\n${failures}` : head) + planted;
}

function tail(output: string): string {
  return output.length > TAIL_BYTES ? `…${output.slice(-TAIL_BYTES)}` : output;
}
