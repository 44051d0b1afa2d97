import { opendir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes every `.git` entry below the workspace root (a directory, a `gitdir:` file or a link, in any
 * letter case) and returns their workspace-relative paths.
 *
 * Only a sandboxed run can plant one (the edit tools refuse `.git` paths), and the host must never
 * act on it: `git add` would follow a `gitdir:` file to any repository on the server and commit its
 * HEAD as a submodule pointer. Nothing in such an entry can be part of a change (git does not commit
 * a nested `.git`), so removing it loses nothing the job could publish. The walk never follows links.
 */
export async function scrubNestedRepositories(root: string): Promise<string[]> {
  const removed: string[] = [];
  const pending: string[] = [''];
  while (pending.length) {
    const relative = pending.pop()!;
    const dir = await opendir(join(root, relative)).catch(() => undefined);
    if (!dir) continue;
    for await (const entry of dir) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name.toLowerCase() === '.git') {
        if (relative === '' && entry.name === '.git') continue; // the workspace's own repository
        await rm(join(root, path), { recursive: true, force: true });
        removed.push(path);
      } else if (entry.isDirectory()) {
        pending.push(path);
      }
    }
  }
  return removed.sort();
}
