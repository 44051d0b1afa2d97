import { copyFile, lstat, rm } from 'node:fs/promises';
import { lstatSync, realpathSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { DomainException, isRepoRefusal, RepositoryAccess } from '@app/common';
import { ToolsErrorCode } from '../tools.errors';
import { git, GIT_MAX_OUTPUT_BYTES, GitOptions, GitRun, SAFE_RECEIVE_PACK } from './git';
import { scrubNestedRepositories } from './nested-repositories';
import { TreeChange, treeChanges } from './tree-changes';

/** Where a job's workspace came from and where it stands. */
export interface WorkspaceInfo {
  jobId: string;
  /** Absolute path of the clone. */
  root: string;
  /** The job branch, `aict/<jobId>`. */
  branch: string;
  /** The base ref as asked for (e.g. `main`), or the default branch's name. */
  baseRef: string;
  /** The commit the job started from. */
  baseSha: string;
  /** The repository as given: a server path or a URL. */
  origin: string;
}

/** One changed file against the base. */
export interface ChangedFile {
  path: string;
  /** git's status letter: A, M, D, R, C, T. */
  status: string;
  /** The old path of a rename or copy. */
  from?: string;
}

/** The outcome of {@link Workspace.pushBack}. */
export type PushResult = { pushed: true; branch: string; sha: string } | { pushed: false; reason: string };

/** A job's clone of its repository: path confinement, git access, the cumulative patch, push back. */
export class Workspace {
  private realRoot?: string;

  constructor(
    readonly info: WorkspaceInfo,
    private readonly access: RepositoryAccess,
  ) {}

  get root(): string {
    return this.info.root;
  }
  get jobId(): string {
    return this.info.jobId;
  }
  get branch(): string {
    return this.info.branch;
  }

  /**
   * The absolute path of a workspace-relative path. Refuses (`outside_workspace`) absolute paths,
   * `..` escapes, anything in `.git`, and paths whose nearest existing ancestor resolves (through
   * symlinks) outside the workspace.
   */
  resolve(path: string): string {
    if (typeof path !== 'string' || path.includes('\0')) throw outside(String(path), 'not a valid path');
    const given = path.trim() === '' ? '.' : path;
    if (isAbsolute(given)) throw outside(path, 'absolute paths are not allowed; give a path relative to the repository root');
    const normalized = posix.normalize(given.replace(/\/+$/, '') || '.');
    if (normalized === '..' || normalized.startsWith('../')) throw outside(path, 'it leaves the repository');
    if (normalized.split('/').some((segment) => segment.toLowerCase() === '.git')) {
      throw outside(path, 'the .git directory is off limits');
    }
    const absolute = normalized === '.' ? this.root : join(this.root, normalized);
    const real = this.realOfNearestExisting(absolute, path);
    const root = this.realRootPath();
    if (real !== root && !real.startsWith(root + sep)) throw outside(path, 'it resolves (through a symlink) outside the repository');
    const inside = relative(root, real).split(sep);
    if (inside[0]?.toLowerCase() === '.git') throw outside(path, 'it resolves into the .git directory');
    return absolute;
  }

  /** The workspace-relative form of an absolute path inside the workspace. */
  relative(absolute: string): string {
    return relative(this.root, absolute).split(sep).join('/') || '.';
  }

  /** Runs git in the workspace. */
  git(args: string[], options: Omit<GitOptions, 'cwd'> = {}): Promise<GitRun> {
    return git(args, { ...options, cwd: this.root });
  }

  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).stdout.trim();
  }

  /**
   * The cumulative diff against the base commit: commits, uncommitted edits and untracked files.
   * A diff larger than 64 MiB is refused (`output_too_large`) rather than returned cut.
   */
  async patch(options: { binary?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    return this.withFullIndex(options.signal, async (env) => {
      const args = [
        'diff',
        '--cached',
        '--no-color',
        '--no-ext-diff',
        ...(options.binary === false ? [] : ['--binary']),
        this.info.baseSha,
      ];
      try {
        return (await this.git(args, { env, signal: options.signal })).stdout;
      } catch (error) {
        if (!(error instanceof DomainException) || error.code !== ToolsErrorCode.OutputTooLarge) throw error;
        throw new DomainException(
          ToolsErrorCode.OutputTooLarge,
          `The workspace's changes against the base are larger than ${GIT_MAX_OUTPUT_BYTES} bytes as a diff (a generated or huge file?); remove what should not be part of the change.`,
          { limitBytes: GIT_MAX_OUTPUT_BYTES },
        );
      }
    });
  }

  /**
   * The diff of the job's commits against the base: exactly what the branch carries when it is pushed
   * (submodule pointers shown, never hidden). Uncommitted files are not in it.
   */
  async committedPatch(options: { binary?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    const args = [
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--ignore-submodules=none',
      '--submodule=short',
      ...(options.binary === false ? [] : ['--binary']),
      this.info.baseSha,
      'HEAD',
    ];
    try {
      return (await this.git(args, { signal: options.signal })).stdout;
    } catch (error) {
      if (!(error instanceof DomainException) || error.code !== ToolsErrorCode.OutputTooLarge) throw error;
      throw new DomainException(
        ToolsErrorCode.OutputTooLarge,
        `The job's commits are larger than ${GIT_MAX_OUTPUT_BYTES} bytes as a diff (a generated or huge file?).`,
        { limitBytes: GIT_MAX_OUTPUT_BYTES },
      );
    }
  }

  /** What the job's commits change against the base, path by path with modes (the branch as pushed). */
  committedChanges(signal?: AbortSignal): Promise<TreeChange[]> {
    return treeChanges((args, options) => this.git(args, options), this.info.baseSha, 'HEAD', { signal });
  }

  /** What the index changes against the base, path by path with modes: the tree a commit will write. */
  stagedChanges(signal?: AbortSignal): Promise<TreeChange[]> {
    return treeChanges((args, options) => this.git(args, options), this.info.baseSha, undefined, { signal });
  }

  /**
   * Removes `.git` entries a sandboxed run planted below the root, before git looks at the tree (it
   * would follow a `gitdir:` file anywhere on the server); returns their paths.
   */
  scrubNestedRepositories(): Promise<string[]> {
    return scrubNestedRepositories(this.root);
  }

  /** The tree of the working copy as it is now (untracked files included), written without touching the index. */
  async snapshot(signal?: AbortSignal): Promise<string> {
    return this.withFullIndex(signal, async (env) => (await this.git(['write-tree'], { env, signal })).stdout.trim());
  }

  /** What changed in the working copy between two snapshots, path by path with modes. */
  changesBetween(before: string, after: string, signal?: AbortSignal): Promise<TreeChange[]> {
    return treeChanges((args, options) => this.git(args, options), before, after, { signal });
  }

  /** Puts the given paths back as a snapshot had them: rewritten from it, or removed when it did not have them. */
  async revertTo(tree: string, changes: TreeChange[], signal?: AbortSignal): Promise<void> {
    const index = join(tmpdir(), `aict-index-${randomBytes(6).toString('hex')}`);
    try {
      const env = { GIT_INDEX_FILE: index };
      await this.git(['read-tree', tree], { env, signal });
      const back = changes.filter((c) => c.kind !== 'create').map((c) => c.path);
      if (back.length) await this.git(['checkout-index', '-f', '-z', '--stdin'], { env, signal, stdin: back.join('\0') });
      for (const created of changes.filter((c) => c.kind === 'create')) await rm(this.resolve(created.path), { force: true });
    } finally {
      await rm(index, { force: true });
    }
  }

  /** The files that differ from the base commit (committed or not, untracked included). */
  async changedFiles(signal?: AbortSignal): Promise<ChangedFile[]> {
    return this.withFullIndex(signal, async (env) => {
      const out = (await this.git(['diff', '--cached', '--name-status', '-z', '-M', this.info.baseSha], { env, signal })).stdout;
      const parts = out.split('\0');
      const files: ChangedFile[] = [];
      for (let i = 0; i < parts.length;) {
        const status = parts[i++];
        if (!status) break;
        if (status.startsWith('R') || status.startsWith('C')) {
          files.push({ status: status[0], from: parts[i], path: parts[i + 1] });
          i += 2;
        } else {
          files.push({ status: status[0], path: parts[i++] });
        }
      }
      return files;
    });
  }

  /** Added and removed line counts against the base commit. */
  async lineStats(signal?: AbortSignal): Promise<{ added: number; removed: number }> {
    return this.withFullIndex(signal, async (env) => {
      const out = (await this.git(['diff', '--cached', '--numstat', this.info.baseSha], { env, signal })).stdout;
      let added = 0;
      let removed = 0;
      for (const line of out.split('\n')) {
        const [a, r] = line.split('\t');
        if (/^\d+$/.test(a ?? '')) added += Number(a);
        if (/^\d+$/.test(r ?? '')) removed += Number(r);
      }
      return { added, removed };
    });
  }

  /**
   * Pushes the job branch to the job's repository: always for a server path; for a URL only when
   * credentials are configured (`remoteCredentials`), whose environment (`env`) goes to git. The
   * repository is checked against the access policy again, and git is sent to what was checked
   * (the resolved path, the pinned addresses), never to whatever the clone's `origin` says now.
   */
  async pushBack(options: { remoteCredentials?: boolean; env?: Record<string, string> } = {}): Promise<PushResult> {
    if (isRemoteUrl(this.info.origin) && !options.remoteCredentials) {
      return { pushed: false, reason: 'the origin is a remote URL and no credentials are configured' };
    }
    let target: { url: string; config: string[] };
    try {
      target = await this.access.prepare(this.info.origin);
    } catch (error) {
      if (!isRepoRefusal(error)) throw error;
      return { pushed: false, reason: `repo_not_allowed: ${error.message}` };
    }
    const ref = `refs/heads/${this.branch}`;
    // A push into a repository on this server runs receive-pack there, under that repository's config and hooks.
    const local = !isRemoteUrl(this.info.origin) || /^file:/i.test(this.info.origin);
    const receivePack = local ? [`--receive-pack=${SAFE_RECEIVE_PACK}`] : [];
    await this.git(['push', '--quiet', '--force', ...receivePack, '--', target.url, `${ref}:${ref}`], {
      env: options.env,
      config: target.config,
      timeoutMs: 300_000,
    });
    return { pushed: true, branch: this.branch, sha: await this.head() };
  }

  /** Removes the workspace directory. */
  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  /** Runs git with a throwaway index holding the whole working tree, so untracked files count and the real index is untouched. */
  private async withFullIndex<T>(signal: AbortSignal | undefined, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
    const index = join(tmpdir(), `aict-index-${randomBytes(6).toString('hex')}`);
    try {
      try {
        await copyFile(join(this.root, '.git', 'index'), index);
      } catch {
        // a fresh repository without an index: git add builds one
      }
      const env = { GIT_INDEX_FILE: index };
      await this.git(['add', '-A', '--', '.'], { env, signal });
      return await fn(env);
    } finally {
      await rm(index, { force: true });
    }
  }

  private realRootPath(): string {
    this.realRoot ??= realpathSync(this.root);
    return this.realRoot;
  }

  private realOfNearestExisting(absolute: string, given: string): string {
    let probe = absolute;
    const rest: string[] = [];
    for (;;) {
      let exists = true;
      try {
        lstatSync(probe);
      } catch {
        exists = false;
      }
      if (exists) break;
      const parent = dirname(probe);
      if (parent === probe) break;
      rest.unshift(probe.slice(parent.length + 1));
      probe = parent;
    }
    try {
      return join(realpathSync(probe), ...rest);
    } catch {
      throw outside(given, 'it goes through a dangling symlink');
    }
  }
}

/** True for URLs (`https://`, `ssh://`, `git@host:path`), false for server paths. */
export function isRemoteUrl(repository: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/\s]+@[^/\s]+:/.test(repository);
}

function outside(path: string, why: string): DomainException {
  return new DomainException(ToolsErrorCode.OutsideWorkspace, `Path ${JSON.stringify(path)} is outside the workspace: ${why}.`, { path });
}

/** True when a path exists and is a symlink (for callers that must not follow links). */
export async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
