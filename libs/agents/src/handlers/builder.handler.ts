import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER } from '@app/common';
import { Job } from '@app/jobs';
import { TDLN, TdlnEngine } from '@app/tdln';
import { ToolContext, ToolRegistry, ToolRunState, Workspace, WorkspaceManager } from '@app/tools';
import { JobContext, JobHandler, JobOutcome } from '@app/worker';
import { AgentsErrorCode, AgentsException } from '../agents.errors';
import { ModelGateway } from '../model/model-gateway';
import { PolicyChangeGate } from '../policy/policy-change-gate';
import { BUILDER } from '../roles/roles';
import { AgentCheckpoint } from '../runtime/agent-checkpoint';
import { AgentRunner } from '../runtime/agent-runner';
import { MetaRecorder, metaTools } from '../tools/meta-tools';
import { JobArtifactsRepository } from './job-artifacts.repository';
import { taskPrompt } from './task-prompt';

/**
 * Works a job with one Builder-style agent end to end: opens (or rebuilds from the checkpoint) the
 * job's workspace, runs the agent under the policy gate and the job's budget, then stores the patch
 * and pushes the branch back to the origin repository.
 */
@Injectable()
export class BuilderHandler implements JobHandler {
  private readonly logger: Logger;

  constructor(
    private readonly model: ModelGateway,
    private readonly runner: AgentRunner,
    private readonly workspaces: WorkspaceManager,
    private readonly repositoryTools: ToolRegistry,
    private readonly artifacts: JobArtifactsRepository,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'builder-handler' });
  }

  async handle(ctx: JobContext): Promise<JobOutcome> {
    const { job } = ctx;
    const runStartedAt = Date.now();
    if (!this.model.configured) {
      return { status: 'failed', code: AgentsErrorCode.ModelNotConfigured, message: 'No model is configured: set ANTHROPIC_API_KEY' };
    }
    const checkpoint = (job.checkpoint as AgentCheckpoint | null) ?? undefined;
    let workspace: Workspace;
    try {
      await ctx.setCurrentAction('preparing the workspace');
      workspace = await this.openWorkspace(job, checkpoint);
    } catch (error) {
      return { status: 'failed', code: AgentsErrorCode.WorkspaceFailed, message: `The workspace could not be prepared: ${(error as Error).message}` };
    }

    const state = checkpoint ? ToolRunState.fromJSON(checkpoint.toolState) : new ToolRunState();
    state.trailers = { 'AICT-Job': job.id, 'AICT-Trace': job.traceId };
    const toolContext: ToolContext = {
      workspace,
      signal: ctx.signal,
      jobId: job.id,
      state,
      gate: new PolicyChangeGate(this.tdln, job.mode, job.intent as never, async (action, decision) => {
        await this.artifacts.audit([
          {
            kind: 'policy.decision',
            actor: `agent:${BUILDER.name}`,
            jobId: job.id,
            traceId: job.traceId,
            conversationId: job.conversationId,
            summary: `${action.kind} ${action.paths.join(', ')}: ${decision.verdict} (risk ${decision.riskScore})`.trim(),
            data: { stage: 'tool', action: action as never, verdict: decision.verdict, violations: decision.violations as never, riskScore: decision.riskScore, policyHash: decision.policyHash },
          },
        ]);
        if (decision.verdict !== 'allow') {
          await ctx.emit([{ type: 'decision', summary: `policy ${decision.verdict}: ${decision.violations.map((v) => v.message).join('; ')}`, data: { action: action as never, ...decision } }]);
        }
      }),
    };
    const registry = new ToolRegistry([...BUILDER.tools.filter((t) => this.repositoryTools.get(t)).map((t) => this.repositoryTools.get(t)!), ...metaTools(this.recorder(ctx))]);

    let outcome;
    try {
      await ctx.setCurrentAction('builder at work');
      outcome = await this.runner.run({
        role: BUILDER,
        job,
        worker: ctx,
        registry,
        toolContext,
        task: taskPrompt(job),
        resume: checkpoint,
        response: job.humanResponse,
        runStartedAt,
        diff: this.diffWhenChanged(workspace, state, checkpoint?.diff),
      });
    } catch (error) {
      return this.failure(ctx, error);
    }
    if (outcome.kind === 'waiting') return { status: 'waiting_human', question: outcome.question, checkpoint: outcome.checkpoint as never };

    await ctx.setCurrentAction('publishing the result');
    const patch = await workspace.patch();
    const dirty = (await workspace.git(['status', '--porcelain'])).stdout.trim() !== '';
    const commit = state.lastCommit?.sha ?? null;
    const push = patch.trim() ? await workspace.pushBack({ remoteCredentials: this.config.workspaces.pushRemote }) : { pushed: false as const, reason: 'nothing changed' };
    await this.artifacts.storePatch(job.id, ctx.workerId, patch, workspace.branch);
    await ctx.emit([{ type: 'result', summary: `patch of ${patch.length} bytes; ${push.pushed ? `pushed ${workspace.branch}` : `not pushed: ${push.reason}`}`, data: { branch: workspace.branch, commit, pushed: push.pushed, dirty } }]);
    const result = {
      summary: outcome.text,
      branch: workspace.branch,
      commit,
      pushed: push.pushed,
      filesChanged: state.filesTouched,
      tests: state.lastTestRun ?? null,
    };
    if (dirty) {
      return { status: 'failed', code: 'uncommitted_changes', message: 'The agent finished with changes it did not commit (tests were not green after its last edit)', result };
    }
    return { status: 'succeeded', result };
  }

  /**
   * The workspace diff for checkpoints, recomputed only after a change: computing it runs git, and
   * most steps only read.
   */
  private diffWhenChanged(workspace: Workspace, state: ToolRunState, initial?: string): () => Promise<string> {
    let seq = initial === undefined ? -1 : (state.lastEdit?.seq ?? 0);
    let diff = initial ?? '';
    return async () => {
      const current = state.lastEdit?.seq ?? 0;
      if (current !== seq) {
        diff = await workspace.patch();
        seq = current;
      }
      return diff;
    };
  }

  private async openWorkspace(job: Job, checkpoint?: AgentCheckpoint): Promise<Workspace> {
    const spec = { jobId: job.id, repository: job.repo, baseRef: job.baseRef ?? undefined };
    const workspace = await this.workspaces.open(spec);
    if (!checkpoint) return workspace;
    // Resuming: the workspace must be exactly what the checkpoint saw, whatever a dead worker did after it.
    if ((await workspace.patch()) === checkpoint.diff) return workspace;
    await workspace.cleanup();
    return this.workspaces.restore(spec, checkpoint.diff);
  }

  private recorder(ctx: JobContext): MetaRecorder {
    const { job } = ctx;
    return {
      record: async (kind, data) => {
        await this.artifacts.audit([{ kind: `agent.${kind}`, actor: `agent:${BUILDER.name}`, jobId: job.id, traceId: job.traceId, conversationId: job.conversationId, summary: kind.replace('_', ' '), data }]);
        await ctx.emit([{ type: kind, summary: kind.replace('_', ' '), data }]);
      },
    };
  }

  private async failure(ctx: JobContext, error: unknown): Promise<JobOutcome> {
    if (!(error instanceof AgentsException)) throw error;
    if (error.code === AgentsErrorCode.Cancelled) {
      return ctx.abortReason() === 'cancelled' ? { status: 'aborted', reason: 'cancelled' } : { status: 'release' };
    }
    await ctx.emit([{ type: 'error', summary: `${error.code}: ${error.message}`, data: { code: error.code, message: error.message, details: (error.details ?? null) as never } }]);
    this.logger.info({ jobId: ctx.job.id, code: error.code }, 'job stopped');
    return { status: 'failed', code: error.code, message: error.message, result: { details: (error.details ?? null) as never } };
  }
}
