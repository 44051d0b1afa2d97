import { readFileSync } from 'node:fs';

/** The uids sandboxed runs take theirs from (SANDBOX_UID_POOL); a run's gid is the same number. */
export interface UidRange {
  first: number;
  last: number;
}

/** The default pool: above the accounts hosts create (useradd stays below 60000), 65,536 uids. */
export const DEFAULT_UID_POOL: UidRange = { first: 100_000, last: 165_535 };

/** Uids taken by runs of this process, whatever Sandbox took them, with the workspace they run in. */
const taken = new Map<number, { root: string; runs: number }>();

/**
 * Takes a uid for a run in `root`: the one the workspace's path hashes to, so a job's runs keep one uid
 * (its files need no new owner) and two workers on one host rarely pick the same, else the next free
 * one. Runs in the same workspace at the same time share it. `undefined` when every uid is taken.
 */
export function takeUid(range: UidRange, root: string): number | undefined {
  const size = range.last - range.first + 1;
  const start = fnv1a(root) % size;
  for (let i = 0; i < size; i++) {
    const uid = range.first + ((start + i) % size);
    const holder = taken.get(uid);
    if (holder && holder.root !== root) continue;
    taken.set(uid, { root, runs: (holder?.runs ?? 0) + 1 });
    return uid;
  }
  return undefined;
}

/** Gives a uid back once the last run holding it has ended. */
export function releaseUid(uid: number): void {
  const holder = taken.get(uid);
  if (!holder) return;
  if (holder.runs > 1) holder.runs--;
  else taken.delete(uid);
}

/**
 * The accounts (/etc/passwd) and groups (/etc/group) of this host whose ids fall in the range: a run
 * with such an id could read what that account owns on the read-only system and count towards its
 * process limit.
 */
export function accountsInRange(range: UidRange, files = { passwd: '/etc/passwd', group: '/etc/group' }): string[] {
  const found: string[] = [];
  for (const [kind, file] of Object.entries(files)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      const n = Number(id);
      if (name && id && Number.isInteger(n) && n >= range.first && n <= range.last)
        found.push(`${kind === 'passwd' ? 'user' : 'group'} ${name} (${n})`);
    }
  }
  return found;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
