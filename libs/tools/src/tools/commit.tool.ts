import { fail, gateWarnings, ok, passGate, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';

export interface CommitChangesInput {
  message: string;
}
export interface CommitChangesOutput {
  sha: string;
  branch: string;
  files: string[];
  message: string;
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
    const blocker = ctx.state.commitBlocker();
    if (blocker) return fail(ToolsErrorCode.TestsNotGreen, `Not committed: ${blocker}.`, { lastTestRun: ctx.state.lastTestRun ?? null });
    const current = (await ws.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { okCodes: [1] })).stdout.trim();
    if (current !== ws.branch)
      return fail(ToolsErrorCode.CommandFailed, `HEAD is on ${current || 'a detached commit'}, not the job branch ${ws.branch}.`);
    await ws.git(['add', '-A', '--', '.'], { signal: ctx.signal });
    const staged = (await ws.git(['diff', '--cached', '--name-only', '-z'], { signal: ctx.signal })).stdout.split('\0').filter(Boolean);
    if (!staged.length) return fail(ToolsErrorCode.NothingToCommit, 'There are no changes to commit.');
    let added = 0;
    let removed = 0;
    for (const line of (await ws.git(['diff', '--cached', '--numstat'], { signal: ctx.signal })).stdout.split('\n')) {
      const [a, r] = line.split('\t');
      if (/^\d+$/.test(a ?? '')) added += Number(a);
      if (/^\d+$/.test(r ?? '')) removed += Number(r);
    }
    const gate = await passGate(ctx, { kind: 'commit', paths: staged, addedLines: added, removedLines: removed });
    if (!gate.proceed) {
      await ws.git(['reset', '--quiet'], { signal: ctx.signal });
      return gate.result;
    }
    const message = withTrailers(input.message, ctx.trailers ?? ctx.state.trailers);
    await ws.git(['commit', '--quiet', '--no-verify', '--cleanup=strip', '-F', '-'], { stdin: message, signal: ctx.signal });
    const sha = await ws.head();
    ctx.state.recordCommit(sha);
    return ok(
      { sha, branch: ws.branch, files: staged, message },
      `committed ${sha.slice(0, 12)} on ${ws.branch}: ${staged.length} file(s), +${added} -${removed}${gateWarnings(gate.decision)}`,
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
