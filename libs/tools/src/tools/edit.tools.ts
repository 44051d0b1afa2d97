import { mkdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parsePatch, type StructuredPatch } from 'diff';
import type { ChangeAction } from '../change-gate';
import { fail, gateWarnings, ok, passGate, ToolContext, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';
import { countLineChanges } from './line-changes';
import { writeFileAtomic } from '../workspace/atomic-write';

/** edit_file reads and rewrites the whole file; larger files are changed with apply_patch. */
const MAX_EDIT_BYTES = 8 * 1024 * 1024;

export interface EditFileInput {
  path: string;
  oldText: string;
  newText: string;
}
export interface EditFileOutput {
  path: string;
  created: boolean;
  addedLines: number;
  removedLines: number;
}

/** `edit_file`: replaces one exact, unique occurrence of a text; creates a new file when `oldText` is empty. */
export const editFileTool: ToolDefinition<EditFileInput, EditFileOutput> = {
  name: 'edit_file',
  description:
    'Replace exactly one occurrence of `oldText` with `newText` in a file. `oldText` must match the file exactly (whitespace included) and be unique: ' +
    'include enough surrounding lines. To create a new file, give an empty `oldText` and the whole content as `newText`.',
  inputSchema: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1, description: 'Path relative to the repository root.' },
      oldText: { type: 'string', description: 'The exact text to replace; empty to create a new file.' },
      newText: { type: 'string', description: 'The replacement text.' },
    },
    required: ['path', 'oldText', 'newText'],
    additionalProperties: false,
  },
  risk: 'reversible',
  mutating: true,
  async run(input, ctx) {
    const absolute = ctx.workspace.resolve(input.path);
    const path = ctx.workspace.relative(absolute);
    const info = await stat(absolute).catch(() => undefined);
    if (info && !info.isFile())
      return fail(ToolsErrorCode.NotAFile, `${path} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}.`);
    if (info && info.size > MAX_EDIT_BYTES) {
      return fail(
        ToolsErrorCode.FileTooLarge,
        `${path} is ${info.size} bytes; edit_file changes files of up to ${MAX_EDIT_BYTES} bytes. Use apply_patch.`,
        {
          path,
          bytes: info.size,
          limitBytes: MAX_EDIT_BYTES,
        },
      );
    }
    if (input.oldText === '') {
      if (info) {
        return fail(ToolsErrorCode.InvalidInput, `${path} already exists; to change it give the exact text to replace as \`oldText\`.`, {
          path,
        });
      }
      const action: ChangeAction = { kind: 'create', paths: [path], ...lines(countLineChanges('', input.newText)) };
      const gate = await passGate(ctx, action);
      if (!gate.proceed) return gate.result;
      await mkdir(dirname(absolute), { recursive: true });
      await writeFileAtomic(absolute, input.newText);
      ctx.state.recordChange(action);
      return ok(
        { path, created: true, addedLines: action.addedLines, removedLines: 0 },
        `created ${path} (+${action.addedLines})${gateWarnings(gate.decision)}`,
      );
    }
    if (!info) return fail(ToolsErrorCode.FileNotFound, `No file at ${path}; to create it give an empty \`oldText\`.`, { path });
    const before = await readFile(absolute, 'utf8');
    const occurrences = countOccurrences(before, input.oldText);
    if (occurrences === 0) {
      const hint = countOccurrences(normalizeSpace(before), normalizeSpace(input.oldText))
        ? ' A match exists if whitespace is ignored: copy the text exactly (indentation, line endings) from read_file.'
        : ' Read the file again (read_file) and copy the text exactly.';
      return fail(ToolsErrorCode.NoMatch, `\`oldText\` does not occur in ${path}.${hint}`, { path, occurrences: 0 });
    }
    if (occurrences > 1) {
      return fail(
        ToolsErrorCode.NotUnique,
        `\`oldText\` occurs ${occurrences} times in ${path}; include more surrounding lines so it matches once.`,
        {
          path,
          occurrences,
        },
      );
    }
    const index = before.indexOf(input.oldText);
    const after = before.slice(0, index) + input.newText + before.slice(index + input.oldText.length);
    const action: ChangeAction = { kind: 'edit', paths: [path], ...lines(countLineChanges(input.oldText, input.newText)) };
    const gate = await passGate(ctx, action);
    if (!gate.proceed) return gate.result;
    await writeFileAtomic(absolute, after);
    ctx.state.recordChange(action);
    return ok(
      { path, created: false, addedLines: action.addedLines, removedLines: action.removedLines },
      `edited ${path} (+${action.addedLines} -${action.removedLines})${gateWarnings(gate.decision)}`,
    );
  },
};

export interface ApplyPatchInput {
  patch: string;
}
export interface PatchedFile {
  path: string;
  kind: 'edit' | 'create' | 'delete' | 'rename';
  from?: string;
}
export interface ApplyPatchOutput {
  files: PatchedFile[];
  addedLines: number;
  removedLines: number;
}

/** `apply_patch`: applies a unified diff (creates, edits, deletes, renames) after checking that all of it applies. */
export const applyPatchTool: ToolDefinition<ApplyPatchInput, ApplyPatchOutput> = {
  name: 'apply_patch',
  description:
    'Apply a unified diff (as produced by `git diff` or `diff -u`) to the repository. It can edit, create (--- /dev/null), delete (+++ /dev/null) and rename files. ' +
    'The whole patch is checked first; if any hunk does not apply, nothing changes and the reason is returned.',
  inputSchema: {
    type: 'object',
    properties: { patch: { type: 'string', minLength: 1, description: 'The unified diff.' } },
    required: ['patch'],
    additionalProperties: false,
  },
  risk: 'reversible',
  mutating: true,
  async run(input, ctx) {
    const patch = input.patch.endsWith('\n') ? input.patch : `${input.patch}\n`;
    const names = headerNames(patch) ?? (await gitHeaderNames(ctx, patch));
    if (!names.length)
      return fail(ToolsErrorCode.PatchFailed, 'No file headers (---/+++ or diff --git) found: this is not a unified diff.');
    const strip = stripLevel(names);
    for (const name of names) ctx.workspace.resolve(strip ? name.slice(2) : name);
    // Hunk line counts as written first; models often get them wrong, so then try recounting.
    let args = ['apply', `-p${strip}`, '--whitespace=nowarn'];
    let check = await ctx.workspace.git([...args, '--check', '-'], { stdin: patch, okCodes: [1, 128], signal: ctx.signal });
    if (check.exitCode !== 0) {
      const recounted = [...args, '--recount'];
      const retry = await ctx.workspace.git([...recounted, '--check', '-'], { stdin: patch, okCodes: [1, 128], signal: ctx.signal });
      if (retry.exitCode === 0) {
        args = recounted;
        check = retry;
      }
    }
    if (check.exitCode !== 0) {
      return fail(ToolsErrorCode.PatchFailed, `The patch does not apply; nothing was changed. git says: ${cleanGitMessage(check.stderr)}`, {
        reason: check.stderr.trim(),
      });
    }
    // Paths and counts as git itself reads the patch, so the gate judges what will be written.
    const parsed = await readPatch(ctx, args, patch);
    for (const file of parsed.files) {
      ctx.workspace.resolve(file.path);
      if (file.from) ctx.workspace.resolve(file.from);
    }
    const kinds = new Set(parsed.files.map((f) => f.kind));
    const action: ChangeAction = {
      kind: kinds.has('delete') ? 'delete' : kinds.has('rename') ? 'rename' : kinds.size === 1 && kinds.has('create') ? 'create' : 'edit',
      paths: [...new Set(parsed.files.flatMap((f) => (f.from ? [f.from, f.path] : [f.path])))],
      addedLines: parsed.added,
      removedLines: parsed.removed,
    };
    const gate = await passGate(ctx, action);
    if (!gate.proceed) return gate.result;
    const applied = await ctx.workspace.git([...args, '-'], { stdin: patch, okCodes: [1, 128], signal: ctx.signal });
    if (applied.exitCode !== 0)
      return fail(ToolsErrorCode.PatchFailed, `The patch failed: ${cleanGitMessage(applied.stderr)}`, { reason: applied.stderr.trim() });
    ctx.state.recordChange(action);
    return ok(
      { files: parsed.files, addedLines: parsed.added, removedLines: parsed.removed },
      `applied to ${parsed.files.map((f) => `${f.path} (${f.kind})`).join(', ')}: +${parsed.added} -${parsed.removed}${gateWarnings(gate.decision)}`,
    );
  },
};

/**
 * The file names in a patch's headers, read by a maintained parser that follows the hunk lengths (so a
 * removed `-- comment` or an added `++ counter` line is never a header); undefined when the hunk lengths
 * are wrong, as models often write them.
 */
export function headerNames(patch: string): string[] | undefined {
  let files: StructuredPatch[];
  try {
    files = parsePatch(patch);
  } catch {
    return undefined;
  }
  return files.flatMap((f) => [f.oldFileName, f.newFileName]).filter((n): n is string => !!n && n !== '/dev/null');
}

/** The header names as git reads a patch with miscounted hunks (`--recount`, nothing stripped). */
async function gitHeaderNames(ctx: ToolContext, patch: string): Promise<string[]> {
  const run = await ctx.workspace.git(['apply', '-p0', '--recount', '--numstat', '-z', '-'], {
    stdin: patch,
    okCodes: [1, 128],
    signal: ctx.signal,
  });
  if (run.exitCode !== 0) return [];
  return run.stdout
    .split('\0')
    .map((entry) => /^(?:\d+|-)\t(?:\d+|-)\t(.+)$/s.exec(entry)?.[1])
    .filter((n): n is string => !!n);
}

/** The strip level git must apply a patch with: 1 when every file name carries git's `a/`/`b/` prefixes, else 0. */
export function stripLevel(names: string[]): 0 | 1 {
  return names.length > 0 && names.every((n) => /^[ab]\//.test(n)) ? 1 : 0;
}

/** The files and line counts of a patch as `git apply --numstat` reads it (with the arguments it will be applied with). */
async function readPatch(
  ctx: ToolContext,
  args: string[],
  patch: string,
): Promise<{ files: PatchedFile[]; added: number; removed: number }> {
  const numstat = await ctx.workspace.git([...args, '--numstat', '-z', '-'], { stdin: patch, signal: ctx.signal });
  const summary = await ctx.workspace.git([...args, '--summary', '-'], { stdin: patch, signal: ctx.signal });
  const created = new Set<string>();
  const deleted = new Set<string>();
  const renamedFrom = new Map<string, string>();
  for (const line of summary.stdout.split('\n')) {
    const m = /^ (create|delete) mode \d+ (.+)$/.exec(line);
    if (m) (m[1] === 'create' ? created : deleted).add(unquote(m[2]));
    const r = /^ (?:rename|copy) (.+) \(\d+%\)$/.exec(line);
    if (r) {
      const [from, to] = renamePaths(r[1]);
      renamedFrom.set(to, from);
    }
  }
  // Patches without git's metadata say a file is new or gone only with /dev/null in the headers.
  const strip = args.includes('-p1') ? 2 : 0;
  for (const file of parsePatchOrNone(patch)) {
    if (file.oldFileName === '/dev/null' && file.newFileName) created.add(file.newFileName.slice(strip));
    if (file.newFileName === '/dev/null' && file.oldFileName) deleted.add(file.oldFileName.slice(strip));
  }
  const files: PatchedFile[] = [];
  let added = 0;
  let removed = 0;
  for (const entry of numstat.stdout.split('\0')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.+)$/s.exec(entry);
    if (!m) continue;
    added += Number(m[1]) || 0;
    removed += Number(m[2]) || 0;
    const path = m[3];
    const from = renamedFrom.get(path);
    const isNew = created.has(path) || !existsSync(join(ctx.workspace.root, path));
    files.push(from ? { path, kind: 'rename', from } : { path, kind: isNew ? 'create' : deleted.has(path) ? 'delete' : 'edit' });
  }
  return { files, added, removed };
}

/** The old and new path of git's rename summary: `old => new`, or `dir/{old => new}/rest` when they share parts. */
export function renamePaths(text: string): [string, string] {
  const braces = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(text);
  if (braces) {
    const [, prefix, from, to, suffix] = braces;
    const join = (middle: string) => `${prefix}${middle}${suffix}`.replace(/\/\/+/g, '/');
    return [unquote(join(from)), unquote(join(to))];
  }
  const [from, to] = text.split(' => ');
  return [unquote(from), unquote(to ?? from)];
}

function parsePatchOrNone(patch: string): StructuredPatch[] {
  try {
    return parsePatch(patch);
  } catch {
    return [];
  }
}

function unquote(path: string): string {
  return path.startsWith('"') ? (JSON.parse(path) as string) : path;
}

function countOccurrences(text: string, needle: string): number {
  if (!needle) return 0;
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function lines(change: { added: number; removed: number }): { addedLines: number; removedLines: number } {
  return { addedLines: change.added, removedLines: change.removed };
}

function cleanGitMessage(stderr: string): string {
  return stderr.trim().replace(/^error: /gm, '') || 'unknown reason';
}
