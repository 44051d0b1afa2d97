import { DomainException, isDiskFull, isRepoRefusal, JobMode } from '@app/common';
import { LedgerDraft } from '@app/ledger';
import { RenderedText, TdlnEngine, renderedRef } from '@app/tdln';
import {
  addedLines,
  SandboxStatus,
  ToolContext,
  ToolRegistry,
  ToolRunState,
  ToolRunStateJson,
  ToolsErrorCode,
  Workspace,
  WorkspaceManager,
} from '@app/tools';
import { JobContext, JobOutcome } from '@app/worker';
import { AgentRole, AgentsErrorCode, MetaRecorder, PolicyChangeGate, metaTools } from '@app/agents';
import { ROLE_LEDGER_KINDS } from './roles';
import { JobArtifactsRepository } from './job-artifacts.repository';

/** What a session needs from the handler that opens it. */
export interface SessionDeps {
  workspaces: WorkspaceManager;
  repositoryTools: ToolRegistry;
  artifacts: JobArtifactsRepository;
  tdln: TdlnEngine;
  pushRemote: boolean;
}

/** What a finished run leaves behind. */
export interface Publication {
  /** The change as published: the diff of the job's commits (what the branch carries), or, without a commit, of the working copy. */
  patch: string;
  branch: string;
  commit: string | null;
  pushed: boolean;
  /** Files were left changed and uncommitted. */
  dirty: boolean;
  /** The request said not to commit: the patch is the result, and nothing is pushed. */
  noCommit: boolean;
}

/** The change a run made, read from what will be published. */
export interface ChangeSummary {
  files: string[];
  added: number;
  removed: number;
  /** The lines the change adds (where unfinished-work markers are looked for). */
  addedLines: string[];
}

/**
 * One run of one job against its workspace: the workspace (reopened, or rebuilt from the
 * checkpointed diff when resuming), the tool state shared by all roles, the policy gate, per-role
 * tool registries, and publishing the result (patch stored, branch pushed).
 */
export class AgentSession {
  private diffSeq: number;
  private diffText: string;
  /** Policy rules a person approved for this job, shared by the gates of every role. */
  readonly approvedRules: Set<string>;

  private constructor(
    private readonly deps: SessionDeps,
    private readonly ctx: JobContext,
    readonly workspace: Workspace,
    readonly state: ToolRunState,
    initialDiff: string | undefined,
    approvedRules: string[] = [],
  ) {
    this.approvedRules = new Set(approvedRules);
    this.diffSeq = initialDiff === undefined ? -1 : (state.lastEdit?.seq ?? 0);
    this.diffText = initialDiff ?? '';
    state.trailers = { ...state.trailers, 'AICT-Job': ctx.job.id, 'AICT-Trace': ctx.job.traceId };
  }

  /** Opens the job's workspace; when resuming, makes it exactly what the checkpoint saw. */
  static async open(
    deps: SessionDeps,
    ctx: JobContext,
    checkpoint?: { diff: string; toolState: ToolRunStateJson; approvedRules?: string[] },
  ): Promise<AgentSession> {
    const job = ctx.job;
    const spec = { jobId: job.id, repository: job.repo, baseRef: job.baseRef ?? undefined };
    let workspace: Workspace;
    try {
      workspace = await deps.workspaces.open(spec);
      if (checkpoint && (await workspace.patch()) !== checkpoint.diff) {
        // A dead worker may have changed files after its last checkpoint: rebuild from the checkpoint.
        await workspace.cleanup();
        workspace = await deps.workspaces.restore(spec, checkpoint.diff);
      }
    } catch (error) {
      if (isRepoRefusal(error)) throw new DomainException(AgentsErrorCode.RepoNotAllowed, error.message, error.details);
      if (isDiskFull(error)) throw new DomainException(AgentsErrorCode.DiskFull, `The workspace disk is full: ${(error as Error).message}`);
      throw new DomainException(AgentsErrorCode.WorkspaceFailed, `The workspace could not be prepared: ${(error as Error).message}`);
    }
    const state = checkpoint ? ToolRunState.fromJSON(checkpoint.toolState) : new ToolRunState();
    return new AgentSession(deps, ctx, workspace, state, checkpoint?.diff, checkpoint?.approvedRules);
  }

  /** Appends ledger entries on behalf of a role, refusing kinds the role may not write. */
  async audit(role: string, drafts: Omit<LedgerDraft, 'actor' | 'jobId' | 'traceId' | 'conversationId'>[]): Promise<void> {
    const allowed = ROLE_LEDGER_KINDS[role] ?? [];
    const refused = drafts.filter((d) => !allowed.includes(d.kind));
    if (refused.length > 0) {
      throw new Error(`role ${role} may not append ledger entries of kind ${refused.map((d) => d.kind).join(', ')}`);
    }
    const job = this.ctx.job;
    await this.deps.artifacts.audit(
      drafts.map((d) => ({
        ...d,
        actor: `agent:${role}` as const,
        jobId: job.id,
        traceId: job.traceId,
        conversationId: job.conversationId,
      })),
    );
  }

  /**
   * The tool context of a role: the shared workspace and state, and the policy gate for changes.
   * `extraRules` are rules a person approved for one call only (a commit approved past red tests).
   */
  toolContext(mode: JobMode, extraRules: string[] = []): ToolContext {
    const job = this.ctx.job;
    return {
      workspace: this.workspace,
      signal: this.ctx.signal,
      jobId: job.id,
      state: this.state,
      gate: new PolicyChangeGate(
        this.deps.tdln,
        mode,
        job.intent as never,
        async (action, decision) => {
          await this.audit('builder', [
            {
              kind: 'policy.decision',
              summary: `${action.kind} ${action.paths.join(', ')}: ${decision.verdict} (risk ${decision.riskScore})`.trim(),
              data: {
                stage: 'tool',
                action: action as never,
                verdict: decision.verdict,
                violations: decision.violations as never,
                riskScore: decision.riskScore,
                policyHash: decision.policyHash,
              },
            },
          ]);
          if (decision.verdict !== 'allow') {
            await this.ctx.emit([
              {
                type: 'decision',
                role: 'builder',
                summary: `policy ${decision.verdict}: ${decision.violations.map((v) => v.message).join('; ')}`,
                data: { action: action as never, ...decision },
              },
            ]);
          }
        },
        extraRules.length ? new Set([...this.approvedRules, ...extraRules]) : this.approvedRules,
      ),
    };
  }

  /** The tools a role may call: its repository tools and the meta tools, bound to a recorder. */
  registry(role: AgentRole, recorder: MetaRecorder): ToolRegistry {
    const repository = role.tools
      .map((name) => this.deps.repositoryTools.get(name))
      .filter((tool): tool is NonNullable<typeof tool> => tool !== undefined);
    const meta = metaTools(recorder).filter((t) => role.tools.includes(t.name));
    return new ToolRegistry([...repository, ...meta]);
  }

  /**
   * A recorder that writes what a role records to the ledger (under the role's RBAC) and the events.
   * A review is summarised for people by tdln-out (review_approved / review_changes_requested).
   */
  recorder(role: string, onRecord?: (kind: string, data: Record<string, unknown>) => void): MetaRecorder {
    return {
      record: async (kind, data) => {
        const review = kind === 'review' ? this.reviewText(data) : undefined;
        const summary = review?.text ?? kind.replace('_', ' ');
        const recorded = review ? { ...data, template: renderedRef(review) as never } : data;
        await this.audit(role, [{ kind: `agent.${kind}`, summary, data: recorded }]);
        await this.ctx.emit([{ type: kind, role, summary, data: recorded }]);
        onRecord?.(kind, data);
      },
    };
  }

  /** A review as people read it: approved with its notes, or the changes it asks for, file by file. */
  private reviewText(review: Record<string, unknown>): RenderedText {
    const comments = (Array.isArray(review.comments) ? review.comments : []) as { path?: string; line?: number; comment: string }[];
    const target = `job ${this.ctx.job.id}`;
    const summary = String(review.summary ?? '');
    return review.verdict === 'approve'
      ? this.deps.tdln.text('review_approved', { target, summary, notes: comments.map((c) => c.comment) })
      : this.deps.tdln.text('review_changes_requested', {
          target,
          summary,
          issues: comments.map((c) => ({ file: c.path ? `${c.path}${c.line ? `:${c.line}` : ''}` : null, message: c.comment })),
        });
  }

  /** The cumulative diff for checkpoints, recomputed only after a change (it runs git). */
  diff = async (): Promise<string> => {
    const current = this.state.lastEdit?.seq ?? 0;
    if (current !== this.diffSeq) {
      this.diffText = await this.workspace.patch();
      this.diffSeq = current;
    }
    return this.diffText;
  };

  /** True when the request said not to commit (the `no_commit` constraint). */
  get noCommit(): boolean {
    const constraints = (this.ctx.job.intent as { constraints?: { id?: string }[] } | null)?.constraints ?? [];
    return constraints.some((c) => c.id === 'no_commit');
  }

  /**
   * The change as it will be published: what the job's commits change against the base (exactly what
   * the pushed branch carries), or, when nothing was committed, the working copy's change.
   */
  async change(): Promise<ChangeSummary> {
    if (this.state.lastCommit) {
      const files = await this.workspace.committedChanges(this.ctx.signal);
      return {
        files: files.map((f) => f.path),
        added: files.reduce((n, f) => n + f.added, 0),
        removed: files.reduce((n, f) => n + f.removed, 0),
        addedLines: addedLines(await this.workspace.committedPatch({ binary: false, signal: this.ctx.signal })),
      };
    }
    const [files, stats, patch] = await Promise.all([
      this.workspace.changedFiles(this.ctx.signal),
      this.workspace.lineStats(this.ctx.signal),
      this.workspace.patch({ binary: false, signal: this.ctx.signal }),
    ]);
    return { files: files.map((f) => f.path), added: stats.added, removed: stats.removed, addedLines: addedLines(patch) };
  }

  /** The patch of the change as it will be published (see {@link change}). */
  async publishedPatch(): Promise<string> {
    return this.state.lastCommit
      ? this.workspace.committedPatch({ signal: this.ctx.signal })
      : this.workspace.patch({ signal: this.ctx.signal });
  }

  /**
   * Stores the patch on the job and pushes the branch back to the origin repository. The stored patch is
   * the diff of the commits that are pushed, so what was reviewed and sealed is what the branch carries.
   */
  async publish(): Promise<Publication> {
    const patch = await this.publishedPatch();
    const dirty = (await this.workspace.git(['status', '--porcelain'])).stdout.trim() !== '';
    const commit = this.state.lastCommit?.sha ?? null;
    const noCommit = this.noCommit;
    const push = !commit
      ? { pushed: false as const, reason: noCommit ? 'the request said not to commit' : 'nothing was committed' }
      : patch.trim()
        ? await this.workspace.pushBack({ remoteCredentials: this.deps.pushRemote })
        : { pushed: false as const, reason: 'nothing changed' };
    await this.deps.artifacts.storePatch(this.ctx.job.id, this.ctx.workerId, patch, this.workspace.branch);
    await this.ctx.emit([
      {
        type: 'result',
        summary: `patch of ${patch.length} bytes; ${push.pushed ? `pushed ${this.workspace.branch}` : `not pushed: ${push.reason}`}`,
        data: { branch: this.workspace.branch, commit, pushed: push.pushed, dirty },
      },
    ]);
    return { patch, branch: this.workspace.branch, commit, pushed: push.pushed, dirty, noCommit };
  }
}

/** Maps an agent failure to how the run ends: cancelled, released (shutdown), or failed with its code. */
export async function outcomeOfFailure(ctx: JobContext, error: unknown): Promise<JobOutcome> {
  // The workspace's diff (checkpoint, publication) is too large to keep: the job cannot go on.
  if (error instanceof DomainException && error.code === ToolsErrorCode.OutputTooLarge) {
    error = new DomainException(AgentsErrorCode.ChangesTooLarge, error.message, error.details);
  }
  if (!(error instanceof DomainException)) throw error;
  if (error.code === AgentsErrorCode.Cancelled) {
    return ctx.abortReason() === 'cancelled' ? { status: 'aborted', reason: 'cancelled' } : { status: 'release' };
  }
  await ctx.emit([
    {
      type: 'error',
      summary: `${error.code}: ${error.message}`,
      data: { code: error.code, message: error.message, details: (error.details ?? null) as never },
    },
  ]);
  return { status: 'failed', code: error.code, message: error.message, result: { details: (error.details ?? null) as never } };
}

/**
 * A job that will run tests or linters fails at once, with the fix, when this worker's sandbox
 * cannot run them — rather than planning and editing, then parking for approval of untested work.
 */
export async function sandboxUnavailable(status: SandboxStatus, readOnly: boolean): Promise<JobOutcome | null> {
  if (readOnly) return null;
  const check = status.current ?? (await status.check());
  if (check.state !== 'unavailable') return null;
  return {
    status: 'failed',
    code: AgentsErrorCode.SandboxUnavailable,
    message: `This worker cannot run the tests and linters a change needs: ${check.message} Fix: ${check.fix}.`,
  };
}
