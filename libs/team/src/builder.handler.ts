import { Inject, Injectable } from '@nestjs/common';
import { PIPELINE_STAGES, StagesResult } from '@app/tdln';
import { JobContext, JobHandler, JobOutcome } from '@app/worker';
import { AgentCheckpoint, AgentRole, AgentRunner } from '@app/agents';
import { BUILDER } from './roles';
import { outcomeOfFailure } from './agent-session';
import { EscalationPolicy } from './escalation-policy';
import { JobSessions } from './job-sessions';
import { taskPrompt } from './task-prompt';

/**
 * Works a job addressed to the `builder` role with one Builder agent end to end: workspace, agent
 * under the policy gate and the job's budget (with the build stage's tool allow-list), then the
 * patch stored and the branch pushed. A cap escalates as ESCALATION says.
 */
@Injectable()
export class BuilderHandler implements JobHandler {
  constructor(
    private readonly sessions: JobSessions,
    private readonly runner: AgentRunner,
    private readonly escalation: EscalationPolicy,
    @Inject(PIPELINE_STAGES) private readonly stages: StagesResult,
  ) {}

  async handle(ctx: JobContext): Promise<JobOutcome> {
    const { job } = ctx;
    const runStartedAt = Date.now();
    const refused = await this.sessions.refusal(false);
    if (refused) return refused;
    const checkpoint = (job.checkpoint as AgentCheckpoint | null) ?? undefined;
    try {
      await ctx.setCurrentAction('preparing the workspace');
      const session = await this.sessions.open(ctx, checkpoint);
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
