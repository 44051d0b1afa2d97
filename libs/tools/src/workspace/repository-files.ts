import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { git } from './git';

/** What a listing of a repository's tracked files found. */
export interface RepositoryFiles {
  /** Tracked paths at the ref, in git's order, at most `limit`. */
  files: string[];
  /** True when the repository has more files than were kept. */
  truncated: boolean;
}

/**
 * The tracked files of a repository given as a server path, at a ref (default HEAD), read
 * with git's hooks and filters off and a time limit. A URL, a missing path or anything git
 * cannot read gives `null`: the caller goes on without a file list.
 */
export async function listRepositoryFiles(repo: string, ref = 'HEAD', limit = 5_000, timeoutMs = 5_000): Promise<RepositoryFiles | null> {
  if (!isAbsolute(repo) || ref.startsWith('-')) return null;
  try {
    if (!(await stat(repo)).isDirectory()) return null;
    const run = await git(['ls-tree', '-r', '--name-only', '--full-tree', '-z', ref], {
      cwd: repo,
      timeoutMs,
      maxOutputBytes: 4 * 1024 * 1024,
      truncatedOk: true,
    });
    const all = run.stdout.split('\0').filter(Boolean);
    // A cut listing ends in a partial name: keep only what came before the cut.
    const whole = run.truncated ? all.slice(0, Math.floor(all.length / 2)) : all;
    return { files: whole.slice(0, limit), truncated: run.truncated || whole.length > limit };
  } catch {
    return null;
  }
}
