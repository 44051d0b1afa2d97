import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories no listing or search descends into. */
export const IGNORED_DIRS = new Set(['.git', 'node_modules']);

export interface WalkEntry {
  /** Path relative to the walk's root, `/`-separated. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  depth: number;
}

/** Walks a directory breadth-first (sorted), skipping `.git` and `node_modules`, without following symlinks. */
export async function* walk(root: string, options: { maxDepth?: number; prefix?: string } = {}): AsyncGenerator<WalkEntry> {
  const maxDepth = options.maxDepth ?? Infinity;
  let level: string[] = [''];
  for (let depth = 1; level.length && depth <= maxDepth; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let handle;
      try {
        handle = await opendir(join(root, dir));
      } catch {
        continue;
      }
      const entries: WalkEntry[] = [];
      for await (const entry of handle) {
        if (entry.isDirectory() && IGNORED_DIRS.has(entry.name)) continue;
        const path = dir ? `${dir}/${entry.name}` : entry.name;
        const type = entry.isSymbolicLink() ? 'symlink' : entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : undefined;
        if (type) entries.push({ path, type, depth });
      }
      entries.sort((a, b) => (a.path < b.path ? -1 : 1));
      for (const entry of entries) {
        yield { ...entry, path: options.prefix ? `${options.prefix}/${entry.path}` : entry.path };
        if (entry.type === 'dir') next.push(entry.path);
      }
    }
    level = next;
  }
}
