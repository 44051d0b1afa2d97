import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PIPELINE_STAGES, StagesResult, TDLN, TdlnEngine } from '@app/tdln';
import { SandboxStatus, ToolRegistry, WorkspaceManager } from '@app/tools';
import { JobContext, JobHandler, JobOutcome } from '@app/worker';
import { AgentCheckpoint, AgentRole, AgentRunner, AgentsErrorCode, ModelGateway, modelSetupHint } from '@app/agents';
import { BUILDER } from './roles';
import { AgentSession, outcomeOfFailure, sandboxUnavailable } from './agent-session';
import { EscalationPolicy } from './escalation-policy';
import { JobArtifactsRepository } from './job-artifacts.repository';
import { taskPrompt } from './task-prompt';

/**
 * Works a job addressed to the `builder` role with one Builder agent end to end: workspace, agent
 * under the policy gate and the job's budget (with the build stage's tool allow-list), then the
 * patch stored and the branch pushed. A cap escalates as ESCALATION says.
 */
@Injectable()
export class BuilderHandler implements JobHandler {
  constructor(
    private readonly model: ModelGateway,
    private readonly runner: AgentRunner,
    private readonly workspaces: WorkspaceManager,
    private readonly repositoryTools: ToolRegistry,
    private readonly artifacts: JobArtifactsRepository,
    private readonly escalation: EscalationPolicy,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(PIPELINE_STAGES) private readonly stages: StagesResult,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sandbox: SandboxStatus,
  ) {}

  async handle(ctx: JobContext): Promise<JobOutcome> {
    const { job } = ctx;
    const runStartedAt = Date.now();
    if (!this.model.configured) {
      return {
        status: 'failed',
        code: AgentsErrorCode.ModelNotConfigured,
        message: `No model is configured: ${modelSetupHint(this.model.providerName)}`,
      };
    }
    const unsandboxed = await sandboxUnavailable(this.sandbox, false);
    if (unsandboxed) return unsandboxed;
    const checkpoint = (job.checkpoint as AgentCheckpoint | null) ?? undefined;
    try {
      await ctx.setCurrentAction('preparing the workspace');
      const session = await AgentSession.open(
        {
          workspaces: this.workspaces,
          repositoryTools: this.repositoryTools,
          artifacts: this.artifacts,
          tdln: this.tdln,
          pushRemote: this.config.workspaces.pushRemote,
        },
        ctx,
        checkpoint,
      );
      await ctx.setCurrentAction('builder at work');
      const tools = this.stages.stages.find((s) => s.name === 'build')?.tools;
      const role: AgentRole = tools ? { ...BUILDER, tools } : BUILDER;
      const outcome = await this.runner.run({
        role,
        job,
        worker: ctx,
        registry: session.registry(role, session.recorder(role.name)),
        toolContext: session.toolContext(job.mode),
        task: taskPrompt(job),
        resume: checkpoint,
        response: job.humanResponse,
        runStartedAt,
        diff: session.diff,
      });
      if (outcome.kind === 'waiting')
        return { status: 'waiting_human', question: outcome.question, checkpoint: outcome.checkpoint as never };
      if (outcome.kind === 'capped') {
        const decision = await this.escalation.decide(ctx, EscalationPolicy.capTrigger(outcome.error));
        if (decision.kind === 'none') throw outcome.error;
        if (decision.kind === 'auto') return { status: 'release', reason: 'escalated to genius mode' };
        return { status: 'waiting_human', question: decision.question, checkpoint: outcome.checkpoint as never };
      }
      await ctx.setCurrentAction('publishing the result');
      const published = await session.publish();
      const result = {
        summary: outcome.text,
        branch: published.branch,
        commit: published.commit,
        pushed: published.pushed,
        filesChanged: session.state.filesTouched,
        tests: session.state.lastTestRun ?? null,
      };
      if (published.dirty && !published.noCommit) {
        return {
          status: 'failed',
          code: 'uncommitted_changes',
          message: 'The agent finished with changes it did not commit (tests were not green after its last edit)',
          result,
        };
      }
      return { status: 'succeeded', result };
    } catch (error) {
      return outcomeOfFailure(ctx, error);
    }
  }
}
