import { fail, gateWarnings, ok, passGate, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';

export interface CommitChangesInput {
  message: string;
}
export interface CommitChangesOutput {
  sha: string;
  branch: string;
  /** The files of this commit. */
  files: string[];
  message: string;
  /** `.git` entries a test run planted, removed before staging. */
  removedRepositories?: string[];
}

/** `commit_changes`: commits everything on the job branch, only when the last test run after the last edit passed. */
export const commitChangesTool: ToolDefinition<CommitChangesInput, CommitChangesOutput> = {
  name: 'commit_changes',
  description:
    'Commit all changes on the job branch with the given message. Refused unless run_tests passed after the last edit: run the tests first.',
  inputSchema: {
    type: 'object',
    properties: {
      message: {
        type: 'string',
        minLength: 1,
        maxLength: 10_000,
        description: 'Commit message: a subject line, optionally a blank line and a body.',
      },
    },
    required: ['message'],
    additionalProperties: false,
  },
  risk: 'reversible',
  mutating: true,
  async run(input, ctx) {
    const ws = ctx.workspace;
    const blocker = ctx.approval ? undefined : ctx.state.commitBlocker();
    if (blocker) return fail(ToolsErrorCode.TestsNotGreen, `Not committed: ${blocker}.`, { lastTestRun: ctx.state.lastTestRun ?? null });
    const current = (await ws.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { okCodes: [1] })).stdout.trim();
    if (current !== ws.branch)
      return fail(ToolsErrorCode.CommandFailed, `HEAD is on ${current || 'a detached commit'}, not the job branch ${ws.branch}.`);
    // A nested repository a test planted is removed before git looks at the tree (it would follow it).
    const planted = await ws.scrubNestedRepositories();
    await ws.git(['add', '-A', '--', '.'], { signal: ctx.signal });
    const staged = (await ws.git(['diff', '--cached', '--name-only', '-z', '--ignore-submodules=none'], { signal: ctx.signal })).stdout
      .split('\0')
      .filter(Boolean);
    if (!staged.length) return fail(ToolsErrorCode.NothingToCommit, 'There are no changes to commit.');
    // The gate judges the tree this commit leaves on the branch, against the base: every path with its
    // mode, whatever wrote it (an edit tool, a test run, a linter).
    const tree = await ws.stagedChanges(ctx.signal);
    const added = tree.reduce((n, f) => n + f.added, 0);
    const removed = tree.reduce((n, f) => n + f.removed, 0);
    const gate = await passGate(ctx, {
      kind: 'commit',
      paths: tree.map((f) => f.path),
      addedLines: added,
      removedLines: removed,
      files: tree,
    });
    if (!gate.proceed) {
      await ws.git(['reset', '--quiet'], { signal: ctx.signal });
      return gate.result;
    }
    const message = withTrailers(input.message, ctx.trailers ?? ctx.state.trailers);
    await ws.git(['commit', '--quiet', '--no-verify', '--cleanup=strip', '-F', '-'], { stdin: message, signal: ctx.signal });
    const sha = await ws.head();
    ctx.state.recordCommit(sha);
    return ok(
      { sha, branch: ws.branch, files: staged, message, ...(planted.length && { removedRepositories: planted }) },
      `committed ${sha.slice(0, 12)} on ${ws.branch}: ${staged.length} file(s); the branch now changes ${tree.length} file(s), +${added} -${removed} against the base` +
        (planted.length ? `; removed nested repositories (never committed): ${planted.join(', ')}` : '') +
        gateWarnings(gate.decision),
    );
  },
};

/** Appends `Key: value` trailers to a commit message (one blank line before them). */
export function withTrailers(message: string, trailers: Record<string, string> | undefined): string {
  const body = message.trim();
  const entries = Object.entries(trailers ?? {}).filter(([key]) => /^[A-Za-z][A-Za-z0-9-]*$/.test(key));
  if (!entries.length) return `${body}\n`;
  return `${body}\n\n${entries.map(([key, value]) => `${key}: ${value.replace(/\s+/g, ' ').trim()}`).join('\n')}\n`;
}
