import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, DomainException } from '@app/common';
import { EscalationTrigger, Job, PendingQuestion } from '@app/jobs';
import { PIPELINE_STAGES, PipelineStage, StagesResult, TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { JobContext, JobHandler, JobOutcome } from '@app/worker';
import { EventsService } from '@app/events';
import { ToolRegistry } from '@app/tools';
import { AgentCheckpoint, AgentRole, AgentRunner, AgentsErrorCode, Allowance, BudgetService } from '@app/agents';
import { BUILDER, PLANNER, REVIEWER } from './roles';
import { AgentSession, outcomeOfFailure } from './agent-session';
import { EscalationPolicy } from './escalation-policy';
import { JobSessions } from './job-sessions';
import { ClosingStages } from './closing-stages';
import { PipelineCheckpoint, PipelineState, Stage } from './pipeline-state';
import { stageTask } from './stage-task';

/** The agents of the agent stages, by role name (the stages file names the role; validation ties it to its stage). */
const AGENTS: Record<string, AgentRole> = { planner: PLANNER, builder: BUILDER, reviewer: REVIEWER };
const AGENT_STAGES: readonly Stage[] = ['plan', 'build', 'review'];

type Advance =
  | { kind: 'next' }
  | { kind: 'park'; gate: 'quality' | 'review' | 'escalation'; question: PendingQuestion }
  | { kind: 'release'; reason: string }
  | { kind: 'done'; outcome: JobOutcome };

/**
 * The team, as code, in the order the stages file declares (native/stages/pipeline.v1.toml, or
 * PIPELINE_STAGES_FILE): Planner → Builder → Reviewer (request_changes sends the Builder back, at
 * most REVIEW_MAX_ROUNDS times, then a person decides) → TDLN quality gate (BLOCK waits for a
 * person) → final answer by TDLN-out → TruthPack sealed → status. Read-only jobs skip the stages
 * marked skip_when_read_only (an analysis is the Planner's); a review request runs the review stage
 * alone. Each agent stage runs its role with its prompt, the stage's tool allow-list and its share
 * of what the job has left; a mechanic job that reaches a cap, or is sent back a second time,
 * escalates as ESCALATION says. Each hand-off is an event and a ledger entry; the state of the
 * pipeline is checkpointed with every step, so a parked or orphaned job resumes where it was.
 */
@Injectable()
export class PipelineHandler implements JobHandler {
  constructor(
    private readonly sessions: JobSessions,
    private readonly repositoryTools: ToolRegistry,
    private readonly events: EventsService,
    private readonly runner: AgentRunner,
    private readonly budget: BudgetService,
    private readonly escalation: EscalationPolicy,
    private readonly closing: ClosingStages,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(PIPELINE_STAGES) private readonly stages: StagesResult,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(ctx: JobContext): Promise<JobOutcome> {
    const { job } = ctx;
    const runStartedAt = Date.now();
    const refused = await this.sessions.refusal((job.intent as { readOnly?: boolean } | null)?.readOnly === true);
    if (refused) return refused;
    const checkpoint = (job.checkpoint as PipelineCheckpoint | null) ?? undefined;
    const intent = (job.intent ?? {}) as { operation?: string; readOnly?: boolean; targets?: string[] };
    const plan = this.planFor(intent);
    const ps: PipelineState = checkpoint?.pipeline ?? { stage: plan[0].name as Stage, round: 0, reviews: [], approved: {} };

    try {
      const session = await this.sessions.open(ctx, checkpoint);
      if (ps.pendingGate === 'escalation') {
        // A person chose genius mode or a higher cap (the response set them on the job); a rejection ended it instead.
        const trigger = ps.escalation;
        ps.pendingGate = undefined;
        ps.escalation = undefined;
        if (trigger?.kind === 'review')
          await this.sendBack(ctx, session, ps, `escalated to ${job.mode} mode by ${job.humanResponse?.by ?? 'a person'}`);
      } else if (ps.pendingGate) {
        // A gate that was parked on a person: only an explicit approval passes it (an answer is not one).
        const gate = ps.pendingGate;
        ps.pendingGate = undefined;
        const response = job.humanResponse;
        if (response?.action !== 'approve') return { status: 'aborted', reason: 'not approved' };
        ps.approved[gate] = true;
        const to = this.after(plan, gate);
        await this.handoff(ctx, session, `${response.by} approved past the ${gate} gate`, gate, this.label(to), {
          approvedBy: response.by,
          via: response.via ?? null,
          respondedAt: response.respondedAt,
        });
        ps.stage = to;
        if (!intent.readOnly) await this.commitApproved(ctx, session, ps, gate, response.by);
      }
      let resume = checkpoint && checkpoint.transcript.length > 0 ? checkpoint : undefined;

      for (;;) {
        const stage = plan.find((s) => s.name === ps.stage);
        const agent = stage && AGENT_STAGES.includes(ps.stage) ? AGENTS[stage.role] : undefined;
        if (stage && agent) {
          // The role may call exactly the tools its stage lists.
          const role: AgentRole = { ...agent, tools: stage.tools };
          const resumed = resume?.role === role.name ? resume : undefined;
          const allowance = await this.allowanceFor(ps, plan, job, resumed);
          await ctx.setCurrentAction(`${role.name} at work${ps.stage === 'build' && ps.round > 0 ? ` (round ${ps.round + 1})` : ''}`);
          const outcome = await this.runner.run({
            role,
            job,
            worker: ctx,
            registry: session.registry(
              role,
              session.recorder(role.name, (kind, data) => this.onRecord(ps, kind, data)),
            ),
            toolContext: session.toolContext(job.mode),
            task: stageTask(ps, job, intent, allowance),
            resume: resumed,
            response: job.humanResponse,
            runStartedAt,
            diff: session.diff,
            pipeline: ps as never,
            limits: allowance,
          });
          resume = undefined;
          if (outcome.kind === 'waiting')
            return { status: 'waiting_human', question: outcome.question, checkpoint: outcome.checkpoint as never };
          if (outcome.kind === 'capped') {
            // Everything up to the cap is in the checkpoint: an escalation resumes there, a failure leaves it for a retry.
            const decision = await this.escalation.decide(ctx, EscalationPolicy.capTrigger(outcome.error));
            if (decision.kind === 'none') throw outcome.error;
            if (decision.kind === 'auto') return { status: 'release', reason: 'escalated to genius mode' };
            ps.pendingGate = 'escalation';
            ps.escalation = decision.question.data?.trigger as EscalationTrigger;
            return { status: 'waiting_human', question: decision.question, checkpoint: outcome.checkpoint as never };
          }
          if (role.name === 'builder') ps.builderSummary = outcome.text;
          if (role.name === 'planner' && !ps.plan)
            throw new DomainException(AgentsErrorCode.NoResult, 'The Planner finished without a plan');
        }

        const next = await this.advance(ctx, session, ps, plan, intent);
        if (next.kind === 'done') return next.outcome;
        if (next.kind === 'park') {
          ps.pendingGate = next.gate;
          const parked = await this.boundary(session, ps, next.gate === 'escalation' ? this.roleOf(plan, ps.stage) : 'coordinator');
          await ctx.checkpoint(parked);
          return { status: 'waiting_human', question: next.question, checkpoint: parked };
        }
        await ctx.checkpoint(await this.boundary(session, ps, this.roleOf(plan, ps.stage)));
        if (next.kind === 'release') return { status: 'release', reason: next.reason };
      }
    } catch (error) {
      return outcomeOfFailure(ctx, error);
    }
  }

  /**
   * The stages this job runs, in the stages file's order: intake happened before it was queued; a
   * read-only job skips the stages marked skip_when_read_only, and a review request runs the review
   * stage alone (the stage that is its work).
   */
  private planFor(intent: { operation?: string; readOnly?: boolean }): PipelineStage[] {
    const stages = this.stages.stages.filter((s) => s.name !== 'intake');
    if (!intent.readOnly) return stages;
    if (intent.operation === 'review' && stages.some((s) => s.name === 'review'))
      return stages.filter((s) => s.name === 'review' || !AGENT_STAGES.includes(s.name as Stage));
    return stages.filter((s) => !s.skipWhenReadOnly);
  }

  /** The stage after `stage` in the plan (the last one is the seal, which ends the job). */
  private after(plan: PipelineStage[], stage: Stage): Stage {
    const index = plan.findIndex((s) => s.name === stage);
    return (plan[index + 1]?.name ?? 'seal') as Stage;
  }

  /** How a hand-off names a stage: by its agent (planner, builder, reviewer), else by its name (quality...). */
  private label(stage: Stage): string {
    return AGENT_STAGES.includes(stage) ? (this.stages.stages.find((s) => s.name === stage)?.role ?? stage) : stage;
  }

  private roleOf(plan: PipelineStage[], stage: Stage): string {
    return AGENT_STAGES.includes(stage) ? (plan.find((s) => s.name === stage)?.role ?? 'coordinator') : 'coordinator';
  }

  /**
   * What the current stage's role may use: its share of what the job has left, relative to the
   * agent stages still to come (see {@link stageAllowance}). Worked out when the role starts, kept
   * in the checkpoint for a resume, and worked out again (with what the role already used) when the
   * job's caps changed meanwhile (an escalation, a raised cap).
   */
  private async allowanceFor(ps: PipelineState, plan: PipelineStage[], job: Job, resumed: AgentCheckpoint | undefined): Promise<Allowance> {
    const kept = ps.allowance;
    if (
      resumed &&
      kept &&
      kept.stage === ps.stage &&
      kept.round === ps.round &&
      kept.caps.steps === job.maxSteps &&
      kept.caps.tokens === job.maxTokens
    )
      return { steps: kept.steps, tokens: kept.tokens };
    const index = plan.findIndex((s) => s.name === ps.stage);
    const later = plan.slice(index + 1).filter((s) => AGENT_STAGES.includes(s.name as Stage));
    const allowance = await this.budget.allowance(job.id, {
      share: plan[index].budgetShare,
      laterShares: later.map((s) => s.budgetShare),
      roleUsed: resumed?.usage,
    });
    ps.allowance = { stage: ps.stage, round: ps.round, ...allowance };
    return { steps: allowance.steps, tokens: allowance.tokens };
  }

  /** Moves the pipeline past the stage just finished. */
  private async advance(
    ctx: JobContext,
    session: AgentSession,
    ps: PipelineState,
    plan: PipelineStage[],
    intent: { operation?: string; readOnly?: boolean },
  ): Promise<Advance> {
    const readOnly = intent.readOnly === true;
    const next = this.after(plan, ps.stage);
    switch (ps.stage) {
      case 'plan':
        await this.handoff(ctx, session, readOnly ? 'analysis done' : 'plan ready', 'planner', this.label(next));
        ps.stage = next;
        return { kind: 'next' };
      case 'build':
        await this.handoff(ctx, session, `change made${ps.round > 0 ? ` (round ${ps.round + 1})` : ''}`, 'builder', this.label(next));
        ps.stage = next;
        return { kind: 'next' };
      case 'review': {
        const review = ps.reviews.at(-1);
        if (!review) throw new DomainException(AgentsErrorCode.NoResult, 'The Reviewer finished without submitting a review');
        if (review.verdict === 'approve' || readOnly) {
          await this.handoff(ctx, session, readOnly ? 'review submitted' : 'change approved', 'reviewer', this.label(next));
          ps.stage = next;
          return { kind: 'next' };
        }
        const canSendBack = plan.some((s) => s.name === 'build') && ps.round < this.config.pipeline.reviewRounds;
        if (canSendBack && ps.round >= 1 && ctx.job.mode === 'mechanic') {
          // The second send-back: a mechanic job escalates as ESCALATION says, or goes back as before.
          const decision = await this.escalation.decide(ctx, {
            kind: 'review',
            message: `The Reviewer sent the change back a second time: ${String(review.summary)}`,
          });
          if (decision.kind === 'auto') {
            await this.sendBack(ctx, session, ps, 'escalated to genius mode');
            return { kind: 'release', reason: 'escalated to genius mode' };
          }
          if (decision.kind === 'ask') {
            ps.escalation = decision.question.data?.trigger as EscalationTrigger;
            ps.round++;
            ps.stage = 'build';
            return { kind: 'park', gate: 'escalation', question: decision.question };
          }
        }
        if (canSendBack) {
          await this.sendBack(ctx, session, ps);
          return { kind: 'next' };
        }
        const asked = this.tdln.text('review_rounds_exhausted', { rounds: ps.round, review: { summary: String(review.summary) } });
        return {
          kind: 'park',
          gate: 'review',
          question: {
            kind: 'approval',
            askedBy: 'reviewer',
            question: asked.text,
            options: ['approve', 'reject'],
            data: { review, template: renderedRef(asked) as never, evidence: (await this.gateEvidence(ctx, session, ps)) as never },
          },
        };
      }
      case 'quality': {
        const verdict = await this.closing.qualityGate(ctx, session, ps, readOnly);
        if (verdict.verdict === 'BLOCK' && !ps.approved.quality) {
          const asked = this.tdln.text('quality_blocked', {
            score: verdict.score,
            failing: verdict.failing,
            unverified_paths: verdict.unverifiedPaths,
          });
          return {
            kind: 'park',
            gate: 'quality',
            question: {
              kind: 'approval',
              askedBy: 'quality gate',
              question: asked.text,
              options: ['approve', 'reject'],
              data: {
                quality: verdict as never,
                template: renderedRef(asked) as never,
                evidence: (await this.gateEvidence(ctx, session, ps)) as never,
              },
            },
          };
        }
        ps.stage = next;
        return { kind: 'next' };
      }
      case 'render':
        ps.answer = await this.closing.render(ctx, session, ps);
        ps.stage = next;
        return { kind: 'next' };
      case 'seal':
        return { kind: 'done', outcome: await this.closing.seal(ctx, session, ps, readOnly) };
    }
  }

  /**
   * Approve means publish: a change a person approved past a gate but that the Builder could not
   * commit (its tests were red) is committed now, through the same commit tool and policy gate as any
   * commit, with trailers naming who approved it and which checks failed. Nothing happens when the
   * change is already committed, or the request said not to commit.
   */
  private async commitApproved(ctx: JobContext, session: AgentSession, ps: PipelineState, gate: string, by: string): Promise<void> {
    if (session.noCommit) return;
    const dirty = (await session.workspace.git(['status', '--porcelain'])).stdout.trim() !== '';
    if (!dirty) return;
    const failing = ((ps.quality as { failing?: string[] } | undefined)?.failing ?? []).slice();
    // At the Reviewer's gate the quality gate has not run yet: red tests are read from the last run.
    if (session.state.commitBlocker() && !failing.includes('tests')) failing.push('tests');
    if (gate === 'review' && !failing.includes('review')) failing.push('review');
    const commit = this.repositoryTools.get('commit_changes');
    if (!commit) throw new DomainException(AgentsErrorCode.NoResult, 'The commit tool is not registered');
    const base = session.toolContext(ctx.job.mode, failing.includes('tests') ? ['commit_requires_green_tests'] : []);
    const approval = { by, failing };
    const trailers = {
      ...session.state.trailers,
      'AICT-Approved-By': by,
      ...(failing.length && { 'AICT-Failing-Checks': failing.join(', ') }),
    };
    const subject = ctx.job.goal.split('\n')[0].slice(0, 72);
    const input = {
      message: `${subject}\n\nApproved by ${by} past the ${gate} gate${failing.length ? ` (failing: ${failing.join(', ')})` : ''}.`,
    };
    const result = await commit.run(input as never, { ...base, approval, trailers });
    const data = result.ok ? (result.data as { sha: string; files: string[] }) : null;
    await ctx.emit([
      {
        type: 'tool_call',
        role: 'coordinator',
        summary: result.ok ? result.summary : `commit_changes refused: ${result.error.message}`,
        data: {
          tool: 'commit_changes',
          input,
          ok: result.ok,
          result: result as never,
          approval,
        } as never,
      },
    ]);
    if (!result.ok)
      throw new DomainException(
        AgentsErrorCode.ApprovedCommitRefused,
        `The approved change could not be committed: ${result.error.message}`,
        {
          error: result.error as never,
        },
      );
    await session.audit('coordinator', [
      {
        kind: 'pipeline.approved_commit',
        summary: `committed ${data!.sha.slice(0, 12)} approved by ${by} past the ${gate} gate${failing.length ? ` (failing: ${failing.join(', ')})` : ''}`,
        data: { approvedBy: by, gate, failing, sha: data!.sha, files: data!.files },
      },
    ]);
  }

  /**
   * What a person needs to decide at a gate, beside the question: the reviews, the Builder's own
   * summary (a claim, not evidence), and the last test and lint runs with their failures and output.
   */
  private async gateEvidence(ctx: JobContext, session: AgentSession, ps: PipelineState): Promise<Record<string, unknown>> {
    const last = (tool: string) => this.events.lastToolResult(ctx.job.id, tool);
    const tail = (text: unknown) => (typeof text === 'string' ? text.slice(-4000) : null);
    const tests = session.state.lastTestRun;
    const testRun = tests ? await last('run_tests') : undefined;
    const lint = session.state.lastLint;
    const dirty = (await session.workspace.git(['status', '--porcelain'])).stdout.trim() !== '';
    return {
      reviews: ps.reviews,
      builderSummary: ps.builderSummary ?? null,
      committed: !!session.state.lastCommit,
      // What Approve will do, said before it is given.
      onApprove: session.noCommit ? 'patch_only' : dirty ? 'commit_and_push' : session.state.lastCommit ? 'push' : 'nothing_to_publish',
      tests: tests
        ? {
            passed: tests.passedCount ?? 0,
            failed: tests.failed,
            green: tests.passed,
            timedOut: tests.timedOut,
            failures: ((testRun?.failures ?? []) as { name?: string; excerpt?: string }[]).slice(0, 20),
            outputTail: tail(testRun?.outputTail),
          }
        : null,
      lint: lint
        ? {
            errors: lint.diagnostics.filter((d) => d.severity === 'error').length,
            warnings: lint.diagnostics.filter((d) => d.severity !== 'error').length,
            diagnostics: lint.diagnostics.slice(0, 20),
            outputTail: tail(lint.outputTail),
          }
        : null,
    };
  }

  /** The Reviewer sends the Builder back for another round (the round is counted when it was not yet). */
  private async sendBack(ctx: JobContext, session: AgentSession, ps: PipelineState, how?: string): Promise<void> {
    if (ps.stage === 'review') {
      ps.round++;
      ps.stage = 'build';
    }
    await this.handoff(
      ctx,
      session,
      `changes requested (round ${ps.round} of ${this.config.pipeline.reviewRounds})${how ? `; ${how}` : ''}`,
      'reviewer',
      'builder',
    );
  }

  private onRecord(ps: PipelineState, kind: string, data: Record<string, unknown>): void {
    if (kind === 'analysis') ps.analysis = data;
    else if (kind === 'plan') ps.plan = data;
    else if (kind === 'review') ps.reviews.push(data);
  }

  private async handoff(
    ctx: JobContext,
    session: AgentSession,
    summary: string,
    from: string,
    to: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await session.audit('coordinator', [
      { kind: 'pipeline.handoff', summary: `${from} → ${to}: ${summary}`, data: { from, to, summary, ...extra } as never },
    ]);
    await ctx.emit([
      { type: 'handoff', role: 'coordinator', summary: `${from} → ${to}: ${summary}`, data: { from, to, ...extra } as never },
    ]);
  }

  /** A checkpoint at a stage boundary: the next role starts fresh, the pipeline state carries over. */
  private async boundary(session: AgentSession, ps: PipelineState, role: string): Promise<Record<string, unknown>> {
    return {
      version: 1,
      role,
      transcript: [],
      partialResults: [],
      remainingCalls: [],
      pending: null,
      toolState: session.state.toJSON(),
      approvedRules: [...session.approvedRules],
      diff: await session.diff(),
      warned: [],
      failures: {},
      pipeline: ps,
    };
  }
}
