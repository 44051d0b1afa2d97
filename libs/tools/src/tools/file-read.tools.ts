import { readFile, stat } from 'node:fs/promises';
import { fail, ok, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';
import { walk } from '../search/file-walker';
import { globToRegExp } from '../search/glob';

const MAX_READ_BYTES = 256 * 1024;
const MAX_READ_LINES = 2000;
const MAX_LIST_ENTRIES = 1000;

export interface ReadFileInput {
  path: string;
  startLine?: number;
  endLine?: number;
}
export interface ReadFileOutput {
  path: string;
  startLine: number;
  endLine: number;
  totalLines: number;
  truncated: boolean;
  /** `<line number>\t<text>` lines. */
  content: string;
}

/** `read_file`: line-numbered text of a file, or of a line range of it. */
export const readFileTool: ToolDefinition<ReadFileInput, ReadFileOutput> = {
  name: 'read_file',
  description:
    'Read a text file of the repository with line numbers ("<n>\\t<text>"). Give startLine/endLine (1-based, inclusive) for a range; ' +
    `at most ${MAX_READ_LINES} lines are returned per call.`,
  inputSchema: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path relative to the repository root.', minLength: 1 },
      startLine: { type: 'integer', minimum: 1, description: 'First line to return (1-based).' },
      endLine: { type: 'integer', minimum: 1, description: 'Last line to return (inclusive).' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  risk: 'safe',
  mutating: false,
  async run(input, ctx) {
    const absolute = ctx.workspace.resolve(input.path);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) return fail(ToolsErrorCode.FileNotFound, `No file at ${input.path}.`, { path: input.path });
    if (!info.isFile()) return fail(ToolsErrorCode.NotAFile, `${input.path} is a directory; use list_files.`, { path: input.path });
    const hasRange = input.startLine !== undefined || input.endLine !== undefined;
    if (info.size > MAX_READ_BYTES * 16 && !hasRange) {
      return fail(ToolsErrorCode.InvalidInput, `${input.path} is ${info.size} bytes; read it in ranges with startLine/endLine.`);
    }
    const buffer = await readFile(absolute);
    if (buffer.subarray(0, 8000).includes(0)) return fail(ToolsErrorCode.BinaryFile, `${input.path} is a binary file.`, { path: input.path, bytes: info.size });
    const lines = buffer.toString('utf8').split('\n');
    if (lines.length > 1 && lines.at(-1) === '') lines.pop();
    const totalLines = lines.length;
    const start = input.startLine ?? 1;
    if (start > Math.max(totalLines, 1)) {
      return fail(ToolsErrorCode.InvalidInput, `startLine ${start} is past the end of ${input.path} (${totalLines} lines).`);
    }
    if (input.endLine !== undefined && input.endLine < start) return fail(ToolsErrorCode.InvalidInput, '`endLine` must not be before `startLine`.');
    let end = Math.min(input.endLine ?? totalLines, totalLines, start + MAX_READ_LINES - 1);
    const out: string[] = [];
    let bytes = 0;
    for (let n = start; n <= end; n++) {
      const line = `${n}\t${lines[n - 1]}`;
      bytes += line.length + 1;
      if (bytes > MAX_READ_BYTES) {
        end = n - 1;
        break;
      }
      out.push(line);
    }
    const truncated = end < Math.min(input.endLine ?? totalLines, totalLines);
    return ok(
      { path: input.path, startLine: start, endLine: end, totalLines, truncated, content: out.join('\n') },
      `${input.path}: lines ${start}-${end} of ${totalLines}${truncated ? ` (truncated; continue with startLine ${end + 1})` : ''}`,
    );
  },
};

export interface ListFilesInput {
  path?: string;
  depth?: number;
}
export interface ListFilesOutput {
  path: string;
  /** Directories end with `/`. */
  entries: string[];
  truncated: boolean;
}

/** `list_files`: the tree under a directory, without .git and node_modules. */
export const listFilesTool: ToolDefinition<ListFilesInput, ListFilesOutput> = {
  name: 'list_files',
  description: 'List files and directories (directories end with "/") under a directory of the repository, down to `depth` levels (default 2). Skips .git and node_modules.',
  inputSchema: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Directory relative to the repository root; default the root.' },
      depth: { type: 'integer', minimum: 1, maximum: 10, description: 'How many levels to descend (default 2).' },
    },
    additionalProperties: false,
  },
  risk: 'safe',
  mutating: false,
  async run(input, ctx) {
    const path = input.path ?? '.';
    const absolute = ctx.workspace.resolve(path);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) return fail(ToolsErrorCode.FileNotFound, `No directory at ${path}.`, { path });
    if (!info.isDirectory()) return fail(ToolsErrorCode.InvalidInput, `${path} is a file; use read_file.`);
    const prefix = ctx.workspace.relative(absolute);
    const entries: string[] = [];
    let truncated = false;
    for await (const entry of walk(absolute, { maxDepth: input.depth ?? 2, prefix: prefix === '.' ? undefined : prefix })) {
      if (entries.length >= MAX_LIST_ENTRIES) {
        truncated = true;
        break;
      }
      entries.push(entry.type === 'dir' ? `${entry.path}/` : entry.path);
    }
    return ok({ path, entries, truncated }, `${entries.length} entries under ${path}${truncated ? ' (truncated; list a subdirectory)' : ''}`);
  },
};

export interface FindFilesInput {
  pattern: string;
}
export interface FindFilesOutput {
  pattern: string;
  files: string[];
  truncated: boolean;
}

/** `find_files`: files whose path matches a glob. */
export const findFilesTool: ToolDefinition<FindFilesInput, FindFilesOutput> = {
  name: 'find_files',
  description:
    'Find files by glob pattern (`*`, `**`, `?`, `[abc]`, `{a,b}`), e.g. "src/**/*.ts" or "*.test.js"; a pattern without "/" matches file names in any directory. Skips .git and node_modules.',
  inputSchema: {
    type: 'object',
    properties: { pattern: { type: 'string', minLength: 1, description: 'Glob relative to the repository root.' } },
    required: ['pattern'],
    additionalProperties: false,
  },
  risk: 'safe',
  mutating: false,
  async run(input, ctx) {
    if (input.pattern.startsWith('/') || input.pattern.split('/').includes('..')) {
      return fail(ToolsErrorCode.OutsideWorkspace, 'The pattern must be relative to the repository root and must not contain "..".');
    }
    const regex = globToRegExp(input.pattern.replace(/^\.\//, ''));
    const files: string[] = [];
    let truncated = false;
    for await (const entry of walk(ctx.workspace.root)) {
      if (entry.type === 'dir' || !regex.test(entry.path)) continue;
      if (files.length >= MAX_LIST_ENTRIES) {
        truncated = true;
        break;
      }
      files.push(entry.path);
    }
    return ok({ pattern: input.pattern, files, truncated }, `${files.length} file(s) match ${input.pattern}${truncated ? ' (truncated)' : ''}`);
  },
};
