import { Dirent, lchownSync, lstatSync, readdirSync, rmdirSync, Stats, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { runProcess } from '../process/run-process';

/** What a walk of a workspace found. */
export interface WorkspaceScan {
  /** Disk space of its files outside `.git`: allocated blocks, a file with several names counted once. */
  bytes: number;
  /** The inode numbers of its entries, when asked for: what a run leaves that is not among them, the run created. */
  inodes?: Set<number>;
}

/** Entries walked between two turns of the event loop, so a large workspace does not stall the server. */
const ENTRIES_PER_TURN = 2_000;

/**
 * Walks the workspace (not its `.git`, never through a symlink, never onto another filesystem), adding
 * up the disk space it uses; optionally hands every entry to `owner` and records inode numbers. Runs
 * before a sandboxed command starts, when nothing else writes in the workspace.
 */
export async function scanWorkspace(
  root: string,
  options: { owner?: { uid: number; gid: number }; inodes?: boolean } = {},
): Promise<WorkspaceScan> {
  const inodes = options.inodes ? new Set<number>() : undefined;
  const linked = new Set<number>();
  let bytes = 0;
  let walked = 0;
  const visit = (path: string, info: Stats) => {
    const { owner } = options;
    if (owner && (info.uid !== owner.uid || info.gid !== owner.gid)) lchownSync(path, owner.uid, owner.gid);
    inodes?.add(info.ino);
    if (info.nlink > 1 && !info.isDirectory()) {
      if (linked.has(info.ino)) return;
      linked.add(info.ino);
    }
    bytes += info.blocks * 512;
  };
  const top = lstatSync(root);
  visit(root, top);
  const pending = [root];
  while (pending.length) {
    const dir = pending.pop()!;
    for (const entry of entriesOf(dir)) {
      if (dir === root && entry.name === '.git') continue;
      const path = join(dir, entry.name);
      const info = lstatOrNull(path);
      if (!info || info.dev !== top.dev) continue;
      visit(path, info);
      if (info.isDirectory()) pending.push(path);
      if (++walked % ENTRIES_PER_TURN === 0) await nextTurn();
    }
  }
  return { bytes, ...(inodes && { inodes }) };
}

/**
 * Removes what a run created: every entry whose inode was not in the workspace before it (`before`),
 * except a new directory that still holds an older entry (a file the run moved there). Files that
 * existed keep what the run wrote in them. Called once the run's processes are gone.
 */
export async function removeCreated(root: string, before: Set<number>): Promise<void> {
  const dev = lstatSync(root).dev;
  let walked = 0;
  /** Whether `dir` is empty afterwards. */
  const sweep = async (dir: string): Promise<boolean> => {
    let kept = 0;
    for (const entry of entriesOf(dir)) {
      const path = join(dir, entry.name);
      const info = lstatOrNull(path);
      if (!info) continue;
      if ((dir === root && entry.name === '.git') || info.dev !== dev) {
        kept++;
        continue;
      }
      if (++walked % ENTRIES_PER_TURN === 0) await nextTurn();
      const created = !before.has(info.ino);
      try {
        if (info.isDirectory()) {
          if ((await sweep(path)) && created) rmdirSync(path);
          else kept++;
        } else if (created) unlinkSync(path);
        else kept++;
      } catch {
        kept++; // too deep for a path (ENAMETOOLONG) or gone: left, and counted by the next run's quota check
      }
    }
    return kept === 0;
  };
  await sweep(root);
}

/**
 * The disk space the workspace uses outside `.git`, measured by `du` (C, any depth, each inode once,
 * one filesystem) in a process of its own, so the server keeps answering while it walks.
 */
export async function measureWorkspace(root: string, duPath: string): Promise<number> {
  const run = await runProcess([duPath, '-s', '-x', '--block-size=1', '--exclude=./.git', '.'], {
    cwd: root,
    env: { LC_ALL: 'C' },
    interleave: false,
    maxOutputBytes: 64 * 1024,
    timeoutMs: 120_000,
  });
  const bytes = Number(/^(\d+)\s/.exec(run.stdout)?.[1]);
  // du reports what it could read; an entry that vanished while it walked is not an error here.
  if (!Number.isFinite(bytes))
    throw new Error(`du could not measure ${root}: ${run.stderr.trim() || run.spawnError || `exit ${run.exitCode}`}`);
  return bytes;
}

/**
 * Watches a workspace while a run writes in it, and calls `onExceeded` once it uses more than `limit`
 * bytes. Cheap while nothing grows: every tick reads how much its filesystem holds (one statfs); only
 * when the filesystem as a whole grew by more than the run's headroom — which all writers together
 * must exceed before this one can — is the workspace itself measured. A run can overshoot by what it
 * writes between a tick and the end of that measurement.
 */
export class DiskQuotaWatch {
  private fsBase: number | undefined;
  private usage: number;
  private timer: NodeJS.Timeout | undefined;
  private measuring: Promise<void> | undefined;
  private lastMeasuredAt = 0;
  private measureMs = 0;
  /** Bytes in use when the limit was found exceeded. */
  exceeded: number | undefined;

  constructor(
    private readonly root: string,
    private readonly limit: number,
    usage: number,
    private readonly measure: () => Promise<number>,
    private readonly onExceeded: (bytes: number) => void,
  ) {
    this.usage = usage;
    this.fsBase = filesystemUsed(root);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick(false), intervalMs);
    this.timer.unref();
  }

  /** Stops watching and measures once more if the workspace may have grown past the limit since the last look. */
  async stop(): Promise<number | undefined> {
    clearInterval(this.timer);
    await this.measuring;
    if (this.exceeded === undefined) await this.tick(true);
    return this.exceeded;
  }

  private async tick(final: boolean): Promise<void> {
    if (this.measuring || this.exceeded !== undefined) return this.measuring;
    const used = filesystemUsed(this.root);
    const grew = used === undefined || this.fsBase === undefined ? Infinity : used - this.fsBase;
    if (grew <= this.limit - this.usage) return;
    // Measuring takes a while on a large workspace: not more often than every other measurement's time.
    if (!final && Date.now() - this.lastMeasuredAt < Math.max(200, 2 * this.measureMs)) return;
    this.measuring = (async () => {
      const started = Date.now();
      try {
        const bytes = await this.measure();
        this.usage = bytes;
        this.fsBase = used;
        if (bytes > this.limit) {
          this.exceeded = bytes;
          this.onExceeded(bytes);
        }
      } catch {
        // unmeasurable now (e.g. du missing its way in a tree being removed): the next tick tries again
      } finally {
        this.lastMeasuredAt = Date.now();
        this.measureMs = this.lastMeasuredAt - started;
        this.measuring = undefined;
      }
    })();
    return this.measuring;
  }
}

/** Bytes in use on the filesystem holding `path`, or undefined where statfs says nothing useful. */
function filesystemUsed(path: string): number | undefined {
  try {
    const fs = statfsSync(path);
    return fs.blocks > 0 ? (fs.blocks - fs.bfree) * fs.bsize : undefined;
  } catch {
    return undefined;
  }
}

function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
