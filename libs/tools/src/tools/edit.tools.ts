import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChangeAction } from '../change-gate';
import { fail, gateWarnings, ok, passGate, ToolDefinition } from '../tool';
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
    const parsed = parsePatch(patch);
    if (!parsed.files.length)
      return fail(ToolsErrorCode.PatchFailed, 'No file headers (---/+++ or diff --git) found: this is not a unified diff.');
    for (const file of parsed.files) {
      ctx.workspace.resolve(file.path);
      if (file.from) ctx.workspace.resolve(file.from);
    }
    // Hunk line counts as written first; models often get them wrong, so then try recounting
    // (recounting alone misreads a `--- ` header right after a hunk as a removed line).
    let args = ['apply', `-p${parsed.strip}`, '--whitespace=nowarn'];
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

/** The files, strip level and line counts of a unified diff. */
export function parsePatch(patch: string): { files: PatchedFile[]; strip: 0 | 1; added: number; removed: number } {
  const lines = patch.split('\n');
  const headers: { old: string; new: string }[] = [];
  let added = 0;
  let removed = 0;
  let inHunk = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      headers.push({ old: headerPath(line.slice(4)), new: headerPath(lines[i + 1].slice(4)) });
      i++;
      inHunk = false;
      continue;
    }
    if (line.startsWith('diff --git ')) {
      inHunk = false;
      const m = /^diff --git (\S+) (\S+)$/.exec(line);
      // A header-only change (pure rename, mode change) has no ---/+++ lines.
      let j = i + 1;
      let from: string | undefined;
      let to: string | undefined;
      while (j < lines.length && !lines[j].startsWith('diff --git ') && !lines[j].startsWith('--- ') && !lines[j].startsWith('@@')) {
        if (lines[j].startsWith('rename from ')) from = lines[j].slice(12);
        if (lines[j].startsWith('rename to ')) to = lines[j].slice(10);
        j++;
      }
      if (m && !lines[j]?.startsWith('--- ')) headers.push({ old: from ? `a/${from}` : m[1], new: to ? `b/${to}` : m[2] });
      continue;
    }
    if (line.startsWith('@@')) {
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  const named = headers.flatMap((h) => [h.old, h.new]).filter((p) => p !== '/dev/null');
  const strip: 0 | 1 = named.length > 0 && named.every((p) => /^[ab]\//.test(p)) ? 1 : 0;
  const clean = (p: string) => (p === '/dev/null' ? p : strip ? p.slice(2) : p);
  const files = headers.map(({ old, new: next }): PatchedFile => {
    const from = clean(old);
    const to = clean(next);
    if (from === '/dev/null') return { path: to, kind: 'create' };
    if (to === '/dev/null') return { path: from, kind: 'delete' };
    if (from !== to) return { path: to, kind: 'rename', from };
    return { path: to, kind: 'edit' };
  });
  return { files, strip, added, removed };
}

function headerPath(raw: string): string {
  const path = raw.split('\t')[0].trim();
  return path.startsWith('"') ? JSON.parse(path) : path;
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
