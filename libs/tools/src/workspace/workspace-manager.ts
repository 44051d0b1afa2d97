import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { DomainException, isRepoRefusal, RepositoryAccess } from '@app/common';
import { ToolsErrorCode } from '../tools.errors';
import { git } from './git';
import { isRemoteUrl, Workspace } from './workspace';

/** Which repository a job works on. */
export interface WorkspaceSpec {
  jobId: string;
  /** A URL or an absolute path on the server. */
  repository: string;
  /** Branch, tag or commit to start from; default the HEAD of the default branch. */
  baseRef?: string;
  /** Environment for git when cloning from a URL (credentials). */
  env?: Record<string, string>;
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Creates, reopens and removes job workspaces under `<dataDir>/workspaces/<jobId>` (or another
 * `directory` of the data dir). Every clone and push goes through the repository access policy at
 * the moment git runs.
 */
export class WorkspaceManager {
  constructor(private readonly options: { dataDir: string; access: RepositoryAccess; directory?: string }) {}

  get workspacesDir(): string {
    return join(this.options.dataDir, this.options.directory ?? 'workspaces');
  }

  pathOf(jobId: string): string {
    if (!JOB_ID.test(jobId) || jobId.includes('..')) {
      throw new DomainException(ToolsErrorCode.InvalidInput, `not a usable job id for a workspace: ${JSON.stringify(jobId)}`);
    }
    return join(this.workspacesDir, jobId);
  }

  /** The job's workspace: reused when its clone with the job branch exists, else cloned fresh at the base ref. */
  async open(spec: WorkspaceSpec): Promise<Workspace> {
    const root = this.pathOf(spec.jobId);
    const branch = branchOf(spec.jobId);
    // The policy may have changed since the job was created (a restart with another REPO_ALLOW).
    this.options.access.assertAllowed(spec.repository);
    if (existsSync(join(root, '.git'))) {
      const reused = await this.reopen(root, spec, branch);
      if (reused) return reused;
    }
    return this.cloneFresh(spec);
  }

  /** A fresh clone at the base with a checkpointed cumulative diff (from `Workspace.patch()`) applied. */
  async restore(spec: WorkspaceSpec, diff: string): Promise<Workspace> {
    const workspace = await this.cloneFresh(spec);
    if (diff.trim()) {
      try {
        await workspace.git(['apply', '--binary', '--whitespace=nowarn', '-'], { stdin: diff });
      } catch (error) {
        throw new DomainException(
          ToolsErrorCode.WorkspaceUnavailable,
          `the checkpointed diff does not apply to ${spec.repository} at ${workspace.info.baseSha}: ${(error as Error).message}`,
        );
      }
    }
    return workspace;
  }

  /** Removes the workspaces of the given finished jobs; returns the job ids whose directory was removed. */
  async janitor(finishedJobIds: string[]): Promise<string[]> {
    let present: string[];
    try {
      present = await readdir(this.workspacesDir);
    } catch {
      return [];
    }
    const finished = new Set(finishedJobIds);
    const removed: string[] = [];
    for (const name of present) {
      if (!finished.has(name) || !JOB_ID.test(name)) continue;
      const dir = join(this.workspacesDir, name);
      if (!(await stat(dir)).isDirectory()) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  private async reopen(root: string, spec: WorkspaceSpec, branch: string): Promise<Workspace | undefined> {
    const has = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: root, okCodes: [1] }).catch(() => undefined);
    if (!has || has.exitCode !== 0) return undefined;
    const config = async (key: string) => (await git(['config', '--get', key], { cwd: root, okCodes: [1] })).stdout.trim();
    const baseSha = await config('aict.baseSha');
    if (!baseSha) return undefined;
    const current = (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: root, okCodes: [1] })).stdout.trim();
    if (current !== branch) await git(['checkout', '--quiet', branch], { cwd: root });
    return new Workspace(
      {
        jobId: spec.jobId,
        root,
        branch,
        baseRef: (await config('aict.baseRef')) || baseSha,
        baseSha,
        origin: spec.repository,
      },
      this.options.access,
    );
  }

  private async cloneFresh(spec: WorkspaceSpec): Promise<Workspace> {
    const root = this.pathOf(spec.jobId);
    const branch = branchOf(spec.jobId);
    if (!isRemoteUrl(spec.repository) && !isAbsolute(spec.repository)) {
      throw new DomainException(ToolsErrorCode.InvalidInput, `repository must be a URL or an absolute server path: ${spec.repository}`);
    }
    if (spec.baseRef?.startsWith('-')) throw new DomainException(ToolsErrorCode.InvalidInput, `not a ref: ${spec.baseRef}`);
    // Checked now, on what git will reach: resolved paths, host names resolved and pinned, no redirects.
    const source = await this.options.access.prepare(spec.repository).catch((error: unknown) => {
      if (isRepoRefusal(error)) throw error;
      throw new DomainException(ToolsErrorCode.WorkspaceUnavailable, `cannot clone ${spec.repository}: ${(error as Error).message}`);
    });
    await rm(root, { recursive: true, force: true });
    await mkdir(this.workspacesDir, { recursive: true });
    try {
      await git(['clone', '--quiet', '--no-checkout', '--', source.url, root], {
        cwd: this.workspacesDir,
        env: spec.env,
        config: source.config,
        timeoutMs: 600_000,
      });
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw new DomainException(ToolsErrorCode.WorkspaceUnavailable, `cannot clone ${spec.repository}: ${(error as Error).message}`);
    }
    const baseRef =
      spec.baseRef ?? ((await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: root, okCodes: [1] })).stdout.trim() || 'HEAD');
    const baseSha = await resolveBase(root, spec.baseRef);
    await git(['checkout', '--quiet', '-B', branch, baseSha], { cwd: root });
    await git(['config', 'aict.baseRef', baseRef], { cwd: root });
    await git(['config', 'aict.baseSha', baseSha], { cwd: root });
    return new Workspace({ jobId: spec.jobId, root, branch, baseRef, baseSha, origin: spec.repository }, this.options.access);
  }
}

/** The job branch name. */
export function branchOf(jobId: string): string {
  return `aict/${jobId}`;
}

async function resolveBase(root: string, baseRef: string | undefined): Promise<string> {
  const candidates = baseRef ? [`refs/remotes/origin/${baseRef}`, baseRef] : ['HEAD'];
  for (const candidate of candidates) {
    const run = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], {
      cwd: root,
      okCodes: [1, 128],
    });
    if (run.exitCode === 0 && run.stdout.trim()) return run.stdout.trim();
  }
  throw new DomainException(ToolsErrorCode.WorkspaceUnavailable, `base ref ${baseRef ?? 'HEAD'} not found in the repository`);
}
