import { ok, ToolDefinition } from '../tool';
import type { ChangedFile } from '../workspace/workspace';

export interface RepoState {
  branch: string;
  head: string;
  baseRef: string;
  baseSha: string;
  /** Commits on the job branch since the base. */
  ahead: number;
  /** Files that differ from the base (committed or not). */
  changedFiles: ChangedFile[];
  /** Files with changes not yet committed. */
  uncommitted: string[];
}

/** `get_repo_state`: where the job branch stands against its base. */
export const getRepoStateTool: ToolDefinition<Record<string, never>, RepoState> = {
  name: 'get_repo_state',
  description:
    'Show the job branch, its head commit, the base ref, the files changed against the base, uncommitted files and how many commits the branch is ahead.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  risk: 'safe',
  mutating: false,
  async run(_input, ctx) {
    const ws = ctx.workspace;
    const branch = (await ws.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { okCodes: [1] })).stdout.trim() || '(detached)';
    const head = await ws.head();
    const ahead = Number((await ws.git(['rev-list', '--count', `${ws.info.baseSha}..HEAD`])).stdout.trim());
    const changedFiles = await ws.changedFiles(ctx.signal);
    const uncommitted = await uncommittedFiles(ctx);
    const state: RepoState = { branch, head, baseRef: ws.info.baseRef, baseSha: ws.info.baseSha, ahead, changedFiles, uncommitted };
    return ok(
      state,
      `on ${branch} at ${head.slice(0, 12)}, ${ahead} commit(s) ahead of ${ws.info.baseRef} (${ws.info.baseSha.slice(0, 12)}); ` +
        `${changedFiles.length} file(s) changed, ${uncommitted.length} uncommitted`,
    );
  },
};

/** Files with changes not yet committed (untracked ones included). */
async function uncommittedFiles(ctx: { workspace: { git: (args: string[]) => Promise<{ stdout: string }> } }): Promise<string[]> {
  const status = (await ctx.workspace.git(['status', '--porcelain=v1', '-z', '--untracked-files=all'])).stdout;
  const uncommitted: string[] = [];
  const entries = status.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.length < 4) continue;
    uncommitted.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++; // the old path of a rename follows
  }
  return uncommitted;
}

export interface DiffOutput {
  diff: string;
  /** Files in the diff not committed yet: only commits are pushed, reviewed as the result and sealed. */
  uncommitted: string[];
  files: number;
  addedLines: number;
  removedLines: number;
  /** True when the diff was longer than the cap and only its beginning is in `diff`. */
  truncated: boolean;
}

/** The most diff text handed to the model in one answer. */
const MAX_DIFF_CHARS = 256 * 1024;

/** `get_diff`: the cumulative diff of the job against its base, untracked files included. */
export const getDiffTool: ToolDefinition<Record<string, never>, DiffOutput> = {
  name: 'get_diff',
  description: "Show the cumulative unified diff of all the job's changes against the base ref (commits, uncommitted edits and new files).",
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  risk: 'safe',
  mutating: false,
  async run(_input, ctx) {
    const full = await ctx.workspace.patch({ binary: false, signal: ctx.signal });
    const files = (full.match(/^diff --git /gm) ?? []).length;
    const { added, removed } = await ctx.workspace.lineStats(ctx.signal);
    const uncommitted = await uncommittedFiles(ctx);
    const truncated = full.length > MAX_DIFF_CHARS;
    const diff = truncated
      ? `${full.slice(0, MAX_DIFF_CHARS)}\n[... diff cut: ${full.length - MAX_DIFF_CHARS} more characters; see get_repo_state and read_file ...]\n`
      : full;
    return ok(
      { diff, uncommitted, files, addedLines: added, removedLines: removed, truncated },
      full
        ? `${files} file(s), +${added} -${removed}${truncated ? ` (diff cut at ${MAX_DIFF_CHARS} characters)` : ''}` +
            (uncommitted.length ? `; not committed (only commits are pushed): ${uncommitted.join(', ')}` : '')
        : 'no changes against the base',
    );
  },
};
