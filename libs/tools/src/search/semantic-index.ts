import { createHash } from 'node:crypto';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Workspace } from '../workspace/workspace';
import { IGNORED_DIRS } from './file-walker';
import { tokenize } from './tokenize';

/** A window of lines of one file. */
export interface CodeChunk {
  path: string;
  startLine: number;
  endLine: number;
  text: string;
}

/** One ranked chunk. */
export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  snippet: string;
}

interface IndexedChunk {
  chunk: CodeChunk;
  tf: Map<string, number>;
  length: number;
}

const K1 = 1.2;
const B = 0.75;

/** Okapi BM25 over code chunks; a chunk's terms include its file path's. */
export class Bm25Index {
  private readonly docs: IndexedChunk[] = [];
  private readonly df = new Map<string, number>();
  private avgLength = 0;

  constructor(chunks: CodeChunk[]) {
    let total = 0;
    for (const chunk of chunks) {
      const terms = [...tokenize(chunk.text), ...tokenize(chunk.path)];
      const tf = new Map<string, number>();
      for (const term of terms) tf.set(term, (tf.get(term) ?? 0) + 1);
      for (const term of tf.keys()) this.df.set(term, (this.df.get(term) ?? 0) + 1);
      this.docs.push({ chunk, tf, length: terms.length });
      total += terms.length;
    }
    this.avgLength = this.docs.length ? total / this.docs.length : 0;
  }

  get size(): number {
    return this.docs.length;
  }

  search(query: string, maxResults = 10): SearchHit[] {
    const terms = [...new Set(tokenize(query))];
    if (!terms.length) return [];
    const n = this.docs.length;
    const scored: { doc: IndexedChunk; score: number }[] = [];
    for (const doc of this.docs) {
      let score = 0;
      for (const term of terms) {
        const f = doc.tf.get(term);
        if (!f) continue;
        const df = this.df.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * doc.length) / (this.avgLength || 1)));
      }
      if (score > 0) scored.push({ doc, score });
    }
    scored.sort((a, b) => b.score - a.score || (a.doc.chunk.path < b.doc.chunk.path ? -1 : 1));
    return scored.slice(0, maxResults).map(({ doc, score }) => ({
      path: doc.chunk.path,
      startLine: doc.chunk.startLine,
      endLine: doc.chunk.endLine,
      score: Math.round(score * 1000) / 1000,
      snippet: snippetOf(doc.chunk, terms),
    }));
  }
}

/** Splits a file into overlapping windows of lines. */
export function chunkFile(path: string, text: string, windowLines = 40, overlap = 10): CodeChunk[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const chunks: CodeChunk[] = [];
  const step = Math.max(1, windowLines - overlap);
  for (let start = 0; start < lines.length; start += step) {
    const end = Math.min(lines.length, start + windowLines);
    chunks.push({ path, startLine: start + 1, endLine: end, text: lines.slice(start, end).join('\n') });
    if (end === lines.length) break;
  }
  return chunks;
}

function snippetOf(chunk: CodeChunk, terms: string[]): string {
  const lines = chunk.text.split('\n');
  const wanted = new Set(terms);
  const first = lines.findIndex((line) => tokenize(line).some((t) => wanted.has(t)));
  const from = Math.max(0, first - 2);
  return lines
    .slice(from, from + 12)
    .map((line, i) => `${chunk.startLine + from + i}\t${line}`)
    .join('\n');
}

export interface SemanticIndexOptions {
  maxEntries?: number;
  windowLines?: number;
  /** Files larger than this are not indexed. Default 512 KiB. */
  maxFileBytes?: number;
  /** Files past this many bytes in all are not indexed (huge repositories). Default 64 MiB. */
  maxTotalBytes?: number;
}

/** Whether a directory resolves (through symlinks) inside the root; answers cached per directory. */
function insideCheck(root: string): (dir: string) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>();
  const realRoot = realpath(root);
  return (dir) => {
    let answer = answers.get(dir);
    if (!answer) {
      answer = Promise.all([realRoot, realpath(dir)]).then(
        ([base, real]) => real === base || real.startsWith(base + sep),
        () => false,
      );
      answers.set(dir, answer);
    }
    return answer;
  };
}

const SKIPPED_FILES =
  /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.sum)$|\.(min\.js|map|png|jpe?g|gif|ico|pdf|zip|gz|woff2?)$/i;

/**
 * BM25 indexes of workspaces, built on first use and rebuilt when the workspace's files change
 * (the key is a hash of every indexed file's path, size and mtime).
 */
export class SemanticIndexCache {
  private readonly entries = new Map<string, { fingerprint: string; index: Bm25Index }>();

  constructor(private readonly options: SemanticIndexOptions = {}) {}

  async search(
    workspace: Workspace,
    query: string,
    maxResults = 10,
    signal?: AbortSignal,
  ): Promise<{ hits: SearchHit[]; rebuilt: boolean; chunks: number }> {
    const { index, rebuilt } = await this.indexFor(workspace, signal);
    return { hits: index.search(query, maxResults), rebuilt, chunks: index.size };
  }

  async indexFor(workspace: Workspace, signal?: AbortSignal): Promise<{ index: Bm25Index; rebuilt: boolean }> {
    const files = await this.indexableFiles(workspace, signal);
    const hash = createHash('sha256');
    for (const file of files) hash.update(`${file.path}\0${file.size}\0${file.mtimeMs}\n`);
    const fingerprint = hash.digest('hex');
    const cached = this.entries.get(workspace.root);
    if (cached?.fingerprint === fingerprint) {
      this.entries.delete(workspace.root);
      this.entries.set(workspace.root, cached);
      return { index: cached.index, rebuilt: false };
    }
    const chunks: CodeChunk[] = [];
    for (const file of files) {
      const buffer = await readFile(join(workspace.root, file.path));
      if (buffer.subarray(0, 8000).includes(0)) continue;
      chunks.push(...chunkFile(file.path, buffer.toString('utf8'), this.options.windowLines ?? 40));
    }
    const index = new Bm25Index(chunks);
    this.entries.delete(workspace.root);
    this.entries.set(workspace.root, { fingerprint, index });
    while (this.entries.size > (this.options.maxEntries ?? 8)) this.entries.delete(this.entries.keys().next().value!);
    return { index, rebuilt: true };
  }

  /** Forgets a workspace's index (e.g. when the workspace is removed). */
  evict(root: string): void {
    this.entries.delete(root);
  }

  private async indexableFiles(workspace: Workspace, signal?: AbortSignal) {
    const out = (await workspace.git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { signal })).stdout;
    const maxBytes = this.options.maxFileBytes ?? 512 * 1024;
    let budget = this.options.maxTotalBytes ?? 64 * 1024 * 1024;
    const inside = insideCheck(workspace.root);
    const files: { path: string; size: number; mtimeMs: number }[] = [];
    for (const path of [...new Set(out.split('\0').filter(Boolean))].sort()) {
      if (path.split('/').some((segment) => IGNORED_DIRS.has(segment)) || SKIPPED_FILES.test(path)) continue;
      try {
        const absolute = join(workspace.root, path);
        // lstat does not follow the file itself, but does follow its directories: a tracked
        // `keys/x` whose `keys` a test replaced by a symlink would be read from elsewhere.
        const info = await lstat(absolute);
        if (!info.isFile() || info.size > maxBytes || info.size > budget || !(await inside(dirname(absolute)))) continue;
        budget -= info.size;
        files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      } catch {
        // deleted in the working tree
      }
    }
    return files;
  }
}
