import { open, stat } from 'node:fs/promises';
import { fail, ok, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';
import { walk } from '../search/file-walker';
import { globToRegExp } from '../search/glob';

const MAX_READ_BYTES = 256 * 1024;
const MAX_READ_LINES = 2000;
/** Longer lines (minified or generated files) are cut, with a note saying so. */
const MAX_LINE_BYTES = 16 * 1024;
const MAX_LIST_ENTRIES = 1000;
const CHUNK_BYTES = 1024 * 1024;

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
  /** True when lines of the asked range were left out (size cap); continue at `endLine + 1`. */
  truncated: boolean;
  /** How many of the returned lines were longer than the line cap and were cut. */
  cutLines: number;
  /** `<line number>\t<text>` lines. */
  content: string;
}

/**
 * `read_file`: line-numbered text of a file, or of a line range of it. The file is streamed, so
 * its size does not matter: at most 2000 lines and 256 KiB come back, and lines over 16 KiB are cut.
 */
export const readFileTool: ToolDefinition<ReadFileInput, ReadFileOutput> = {
  name: 'read_file',
  description:
    'Read a text file of the repository with line numbers ("<n>\\t<text>"). Give startLine/endLine (1-based, inclusive) for a range; ' +
    `at most ${MAX_READ_LINES} lines (${MAX_READ_BYTES / 1024} KiB) are returned per call, and lines longer than ${MAX_LINE_BYTES / 1024} KiB are cut.`,
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
    if (info.isDirectory()) return fail(ToolsErrorCode.NotAFile, `${input.path} is a directory; use list_files.`, { path: input.path });
    if (!info.isFile()) return fail(ToolsErrorCode.NotAFile, `${input.path} is not a regular file.`, { path: input.path });
    if (input.endLine !== undefined && input.endLine < (input.startLine ?? 1)) {
      return fail(ToolsErrorCode.InvalidInput, '`endLine` must not be before `startLine`.');
    }
    const start = input.startLine ?? 1;
    const wantedEnd = Math.min(input.endLine ?? Infinity, start + MAX_READ_LINES - 1);
    const read = await readLines(absolute, start, wantedEnd, ctx.signal);
    if (read.binary)
      return fail(ToolsErrorCode.BinaryFile, `${input.path} is a binary file (${info.size} bytes).`, {
        path: input.path,
        bytes: info.size,
      });
    const totalLines = read.totalLines;
    if (start > Math.max(totalLines, 1)) {
      return fail(ToolsErrorCode.InvalidInput, `startLine ${start} is past the end of ${input.path} (${totalLines} lines).`);
    }
    const end = start + read.lines.length - 1;
    const truncated = end < Math.min(input.endLine ?? totalLines, totalLines);
    const content = read.lines.map((line, i) => `${start + i}\t${line}`).join('\n');
    return ok(
      { path: input.path, startLine: start, endLine: end, totalLines, truncated, cutLines: read.cutLines, content },
      `${input.path}: lines ${start}-${end} of ${totalLines}${truncated ? ` (truncated; continue with startLine ${end + 1})` : ''}` +
        (read.cutLines ? `; ${read.cutLines} line(s) longer than ${MAX_LINE_BYTES} bytes were cut` : ''),
    );
  },
};

/**
 * Streams a file once: keeps lines `start..end` (up to the byte budget, each cut at the line cap)
 * and counts every line, holding at most one chunk and the kept lines in memory.
 */
async function readLines(
  path: string,
  start: number,
  end: number,
  signal: AbortSignal,
): Promise<{ binary: boolean; lines: string[]; cutLines: number; totalLines: number }> {
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    const lines: string[] = [];
    let budget = MAX_READ_BYTES;
    let collecting = true;
    let cutLines = 0;
    let lineNo = 1;
    let kept: Buffer[] = [];
    let keptBytes = 0;
    let lineBytes = 0;
    let first = true;
    const keep = (segment: Buffer) => {
      lineBytes += segment.length;
      if (!collecting || lineNo < start || keptBytes >= MAX_LINE_BYTES) return;
      const take = segment.subarray(0, MAX_LINE_BYTES - keptBytes);
      kept.push(Buffer.from(take));
      keptBytes += take.length;
    };
    const endLine = () => {
      if (collecting && lineNo >= start) {
        let text = Buffer.concat(kept).toString('utf8');
        if (lineBytes > MAX_LINE_BYTES) {
          text += ` … [line cut: ${lineBytes} bytes in all]`;
          cutLines++;
        }
        if (text.length + 8 > budget && lines.length > 0) collecting = false;
        else {
          lines.push(text);
          budget -= text.length + 8;
          if (lineNo >= end) collecting = false;
        }
      }
      kept = [];
      keptBytes = 0;
      lineBytes = 0;
      lineNo++;
    };
    for (;;) {
      if (signal.aborted) throw new Error('aborted');
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = chunk.subarray(0, bytesRead);
      if (first && data.subarray(0, 8000).includes(0)) return { binary: true, lines: [], cutLines: 0, totalLines: 0 };
      first = false;
      let from = 0;
      for (let nl = data.indexOf(10, from); nl !== -1 && collecting; nl = data.indexOf(10, from)) {
        keep(data.subarray(from, nl));
        endLine();
        from = nl + 1;
      }
      if (!collecting) {
        // Past the range: only count the rest of the lines.
        for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
          lineNo++;
          lineBytes = 0;
          from = nl + 1;
        }
        lineBytes += data.length - from;
        continue;
      }
      keep(data.subarray(from));
    }
    // A last line without a newline counts; an empty file is one empty line.
    if (lineBytes > 0 || lineNo === 1) endLine();
    return { binary: false, lines, cutLines, totalLines: lineNo - 1 };
  } finally {
    await handle.close();
  }
}

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
  description:
    'List files and directories (directories end with "/") under a directory of the repository, down to `depth` levels (default 2). Skips .git and node_modules.',
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
    return ok(
      { path, entries, truncated },
      `${entries.length} entries under ${path}${truncated ? ' (truncated; list a subdirectory)' : ''}`,
    );
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
    return ok(
      { pattern: input.pattern, files, truncated },
      `${files.length} file(s) match ${input.pattern}${truncated ? ' (truncated)' : ''}`,
    );
  },
};
