import { Inject, Injectable } from '@nestjs/common';
import type Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import { LOGGER, modelCallSeconds, modelCalls, modelCostCents, modelTokens, toolCallSeconds, toolCalls } from '@app/common';
import { HumanResponse, Job, PendingQuestion } from '@app/jobs';
import { ChangeGate, SANDBOX_FIX, ToolContext, ToolRegistry, ToolResult } from '@app/tools';
import { JobContext } from '@app/worker';
import { AgentsErrorCode, AgentsException } from '../agents.errors';
import { BudgetService, BudgetUse } from '../budget/budget.service';
import { ModelGateway } from '../model/model-gateway';
import { AgentCheckpoint, PendingCall } from './agent-checkpoint';
import { preview, renderToolResult, textOf } from './transcript';

/** A role as the runner needs it: its prompt and the only tools it may call. */
export interface AgentRole {
  name: string;
  system: string;
  tools: string[];
  /** Tools whose successful call ends the role's turn (e.g. `submit_review`). */
  stopTools?: string[];
}

export interface AgentRunInput {
  role: AgentRole;
  job: Job;
  worker: JobContext;
  registry: ToolRegistry;
  toolContext: ToolContext;
  /** The first user message. */
  task: string;
  /** Where to pick up, when the job was parked or moved to another worker. */
  resume?: AgentCheckpoint;
  /** The person's answer when resuming a parked call. */
  response?: HumanResponse | null;
  /** Wall-clock start of this run (for the time cap). */
  runStartedAt: number;
  /** The cumulative diff of the workspace, for checkpoints. */
  diff: () => Promise<string>;
  /** Extra state the handler keeps in every checkpoint. */
  pipeline?: Record<string, unknown>;
  /** This role's share of the job budget (steps and tokens it may use), when it has one. */
  limits?: { steps: number; tokens: number };
}

export type AgentRunOutcome =
  | { kind: 'finished'; text: string; stoppedBy?: { name: string; data: unknown }; checkpoint: AgentCheckpoint }
  | { kind: 'waiting'; question: PendingQuestion; checkpoint: AgentCheckpoint };

/** Tools that park the job until a person answers. */
const HUMAN_TOOLS = new Set(['request_human_review', 'ask_user']);
const WARN_AT = 0.8;
const STUCK_AFTER = 3;

interface Call {
  id: string;
  name: string;
  input: unknown;
}

/** Writes started and not yet awaited. */
interface PendingWrites {
  checkpoint: Promise<unknown>;
}

/**
 * Runs one agent role: the model proposes, tools act, until the model stops calling tools or a
 * stop tool succeeds. Before every model call it checks cancellation and the wall clock and
 * reserves budget; every call and result is an event; the transcript, tool state and diff are
 * checkpointed after every turn, so another worker can resume exactly there.
 */
@Injectable()
export class AgentRunner {
  private readonly logger: Logger;

  constructor(
    private readonly model: ModelGateway,
    private readonly budget: BudgetService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'agent-runner' });
  }

  async run(input: AgentRunInput): Promise<AgentRunOutcome> {
    const { role } = input;
    const state: AgentCheckpoint = input.resume ?? {
      version: 1,
      role: role.name,
      transcript: [{ role: 'user', content: input.task }],
      partialResults: [],
      remainingCalls: [],
      pending: null,
      toolState: input.toolContext.state.toJSON(),
      diff: '',
      warned: [],
      failures: {},
      usage: { steps: 0, tokens: 0 },
      pipeline: input.pipeline,
    };
    state.usage ??= { steps: 0, tokens: 0 };
    if (input.pipeline) state.pipeline = input.pipeline;
    const tools = input.registry.definitions(role.tools) as Anthropic.Tool[];

    // Resume a turn that was parked on a person.
    if (state.pending) {
      const pending = state.pending;
      state.pending = null;
      const result = await this.resolvePending(input, pending);
      state.partialResults.push(this.toolResultBlock(pending.toolUseId, result));
      const turn = await this.runCalls(input, state, state.remainingCalls);
      await turn.saved;
      if (turn.parked) return turn.parked;
      if (turn.stoppedBy) return { kind: 'finished', text: '', stoppedBy: turn.stoppedBy, checkpoint: state };
    }

    // The last turn's checkpoint is written while the next call reserves its budget.
    const pending: PendingWrites = { checkpoint: Promise.resolve() };
    try {
      return await this.turns(input, state, tools, pending);
    } catch (error) {
      await pending.checkpoint.catch(() => undefined);
      throw error;
    }
  }

  /** Model turns until the role finishes, parks or fails. */
  private async turns(
    input: AgentRunInput,
    state: AgentCheckpoint,
    tools: Anthropic.Tool[],
    pending: PendingWrites,
  ): Promise<AgentRunOutcome> {
    const { role, job, worker } = input;
    for (;;) {
      this.checkRunnable(input, state);
      const request = { system: role.system, tools, messages: state.transcript };
      const estimate = this.model.estimateInputTokens(request);
      const [reservation] = await Promise.all([
        this.budget.reserve(job.id, estimate, this.model.estimateCostCents(job.mode, estimate, 0)),
        pending.checkpoint,
      ]);
      let response;
      try {
        response = await this.model.call({ ...request, mode: job.mode, signal: worker.signal, userId: job.id });
      } catch (error) {
        await this.budget.release(reservation);
        if (worker.signal.aborted) throw this.stopped(input);
        throw error;
      }
      const calls: Call[] = response.message.content
        .filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')
        .map((b) => ({ id: b.id, name: b.name, input: b.input }));
      // The settlement (with the first tool call's step, when the role has one left) and the call's
      // event are independent writes: they go out together.
      const stepFirst = calls.length > 0 && !(input.limits && state.usage!.steps >= input.limits.steps);
      const settled = this.budget.settle(reservation, { tokens: response.totalTokens, costCents: response.costCents }, stepFirst);
      state.usage!.tokens += response.totalTokens;
      modelCalls.inc({ mode: job.mode, role: role.name, model: response.model });
      modelCallSeconds.observe({ mode: job.mode, role: role.name }, response.latencyMs / 1000);
      modelTokens.inc({ mode: job.mode, kind: 'input' }, response.usage.inputTokens);
      modelTokens.inc({ mode: job.mode, kind: 'output' }, response.usage.outputTokens);
      modelTokens.inc({ mode: job.mode, kind: 'cache_read' }, response.usage.cacheReadTokens);
      modelTokens.inc({ mode: job.mode, kind: 'cache_write' }, response.usage.cacheCreationTokens);
      modelCostCents.inc({ mode: job.mode }, response.costCents);
      const text = textOf(response.message);
      const emitted = worker.emit([
        {
          type: 'model_call',
          role: role.name,
          summary: `${role.name} → ${response.model}: ${response.totalTokens} tokens, ${response.costCents.toFixed(3)}¢, ${response.latencyMs} ms`,
          data: {
            model: response.model,
            usage: response.usage,
            totalTokens: response.totalTokens,
            costCents: response.costCents,
            latencyMs: response.latencyMs,
            attempts: response.attempts,
            stopReason: response.message.stop_reason,
            text,
            toolCalls: response.message.content.filter((b) => b.type === 'tool_use').map((b) => (b as Anthropic.ToolUseBlock).name),
          },
        },
      ]);
      const [use] = await Promise.all([settled, emitted]);
      await this.warnNearCaps(input, state, use);
      state.transcript.push({ role: 'assistant', content: response.message.content as Anthropic.ContentBlockParam[] });

      if (calls.length === 0) {
        await this.checkpoint(input, state);
        return { kind: 'finished', text, checkpoint: state };
      }
      state.partialResults = [];
      const turn = await this.runCalls(input, state, calls, use.stepTaken);
      if (turn.parked) return turn.parked;
      if (turn.stoppedBy) {
        await turn.saved;
        return { kind: 'finished', text, stoppedBy: turn.stoppedBy, checkpoint: state };
      }
      pending.checkpoint = turn.saved;
    }
  }

  /**
   * Runs the calls of one assistant turn; parks the job on a call that needs a person. The turn's
   * checkpoint is started, not awaited: `saved` settles when it is written. `firstStepTaken`: the
   * settlement already took the first call's step.
   */
  private async runCalls(
    input: AgentRunInput,
    state: AgentCheckpoint,
    calls: Call[],
    firstStepTaken = false,
  ): Promise<{ parked?: AgentRunOutcome; stoppedBy?: { name: string; data: unknown }; saved: Promise<unknown> }> {
    const { role, worker } = input;
    let stoppedBy: { name: string; data: unknown } | undefined;
    // A call's event is written while the next call takes its step (or the turn is checkpointed):
    // events stay in order, as each is awaited before the next is written.
    let recorded: Promise<unknown> = Promise.resolve();
    try {
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i];
        this.checkRunnable(input, state);
        if (input.limits && state.usage!.steps >= input.limits.steps) {
          throw new AgentsException(
            AgentsErrorCode.StepLimit,
            `The ${role.name} used its share of the job's tool calls (${input.limits.steps})`,
            { role: role.name, used: state.usage!.steps, cap: input.limits.steps },
          );
        }
        await Promise.all([recorded, i === 0 && firstStepTaken ? undefined : this.budget.takeStep(input.job.id)]);
        state.usage!.steps++;
        const started = Date.now();
        const result: ToolResult<unknown> = role.tools.includes(call.name)
          ? await input.registry.run(call.name, call.input, input.toolContext)
          : {
              ok: false,
              error: {
                code: 'tool_not_allowed' as never,
                message: `The ${role.name} may not call ${call.name}; its tools are: ${role.tools.join(', ')}`,
              },
            };
        const rendered = renderToolResult(result);
        toolCalls.inc({ tool: call.name, outcome: result.ok ? 'ok' : result.error.code });
        toolCallSeconds.observe({ tool: call.name }, (Date.now() - started) / 1000);
        const recording = worker.emit([
          {
            type: 'tool_call',
            role: role.name,
            summary: `${call.name} ${preview(call.input, 80)} → ${result.ok ? 'ok' : result.error.code}`,
            data: {
              tool: call.name,
              input: call.input as Record<string, unknown>,
              ok: result.ok,
              result: result as never,
              durationMs: Date.now() - started,
              truncatedForModel: rendered.truncated,
            },
          },
        ]);
        // Awaited later (at the latest by runCalls); handled now so a failure is never an unhandled rejection.
        recording.catch(() => undefined);
        recorded = recording;

        const human = this.parkingQuestion(call, result);
        if (human) {
          state.pending = human;
          state.remainingCalls = calls.slice(i + 1);
          await Promise.all([recorded, this.checkpoint(input, state)]);
          const parked: AgentRunOutcome = {
            kind: 'waiting',
            question: {
              kind: human.kind,
              question: human.question,
              askedBy: role.name,
              options: human.kind === 'approval' ? ['approve', 'reject'] : undefined,
              data: { tool: call.name, input: call.input },
            },
            checkpoint: state,
          };
          return { parked, saved: Promise.resolve() };
        }
        if (!result.ok && result.error.code === 'disk_full') throw new AgentsException(AgentsErrorCode.DiskFull, result.error.message);
        // Without a working sandbox no test can run: the job ends now rather than asking a person to approve untested work.
        if (!result.ok && result.error.code === 'sandbox_unavailable')
          throw new AgentsException(AgentsErrorCode.SandboxUnavailable, `${result.error.message} Fix: ${SANDBOX_FIX}.`);
        if (!result.ok) this.guardAgainstLoops(state, call, result);
        if (result.ok && role.stopTools?.includes(call.name)) stoppedBy = { name: call.name, data: result.data };
        state.partialResults.push(this.toolResultBlock(call.id, result));
      }
      state.transcript.push({ role: 'user', content: state.partialResults });
      state.partialResults = [];
      state.remainingCalls = [];
      const saved = Promise.all([recorded, this.checkpoint(input, state)]);
      // Awaited by the caller; handled now so a failure is never an unhandled rejection.
      saved.catch(() => undefined);
      return { stoppedBy, saved };
    } catch (error) {
      await recorded.catch(() => undefined);
      throw error;
    }
  }

  private parkingQuestion(call: Call, result: ToolResult<unknown>): PendingCall | null {
    if (!result.ok && result.error.code === 'approval_required') {
      const violations = (result.error.details as { violations?: { rule: string; message: string }[] } | undefined)?.violations ?? [];
      const question = `${result.error.message}${violations.length ? ` Reasons: ${violations.map((v) => v.message).join('; ')}.` : ''} Approve to apply it (and allow ${violations.map((v) => v.rule).join(', ') || 'this'} for the rest of the job), or reject to abort.`;
      return { toolUseId: call.id, name: call.name, input: call.input, kind: 'approval', question, rules: violations.map((v) => v.rule) };
    }
    if (result.ok && HUMAN_TOOLS.has(call.name)) {
      const data = result.data as { question?: string; kind?: 'approval' | 'question' };
      return {
        toolUseId: call.id,
        name: call.name,
        input: call.input,
        kind: data.kind ?? 'question',
        question: data.question ?? 'The agent needs a person.',
      };
    }
    return null;
  }

  private async resolvePending(input: AgentRunInput, pending: PendingCall): Promise<ToolResult<unknown>> {
    const response = input.response;
    if (pending.kind === 'approval' && pending.name !== 'request_human_review') {
      if (response?.action !== 'approve')
        return { ok: false, error: { code: 'policy_blocked', message: 'A person did not approve this change.' } };
      // The approved rules now pass (as warnings) for the rest of the job; every other rule still applies.
      input.toolContext.gate.approve?.(pending.rules ?? []);
      const gate: ChangeGate = input.toolContext.gate.approve
        ? input.toolContext.gate
        : { check: async () => ({ verdict: 'allow', violations: [] }) };
      const result = await input.registry.run(pending.name, pending.input, { ...input.toolContext, gate });
      await input.worker.emit([
        {
          type: 'tool_call',
          role: input.role.name,
          summary: `${pending.name} (approved) → ${result.ok ? 'ok' : result.error.code}`,
          data: {
            tool: pending.name,
            input: pending.input as Record<string, unknown>,
            ok: result.ok,
            result: result as never,
            approvedBy: response.by,
          },
        },
      ]);
      return result;
    }
    const answer = response?.action === 'answer' ? (response.answer ?? '') : response?.action === 'approve' ? 'Approved.' : 'No answer.';
    return { ok: true, data: { answer }, summary: `A person answered: ${answer}` };
  }

  private toolResultBlock(toolUseId: string, result: ToolResult<unknown>): Anthropic.ToolResultBlockParam {
    return { type: 'tool_result', tool_use_id: toolUseId, content: renderToolResult(result).text, is_error: !result.ok };
  }

  private guardAgainstLoops(state: AgentCheckpoint, call: Call, result: Extract<ToolResult<unknown>, { ok: false }>): void {
    const key = `${call.name}|${JSON.stringify(call.input)}|${result.error.code}|${result.error.message}`;
    const count = (state.failures[key] ?? 0) + 1;
    state.failures[key] = count;
    if (count >= STUCK_AFTER) {
      throw new AgentsException(
        AgentsErrorCode.AgentStuck,
        `The agent repeated the same failing call ${count} times: ${call.name} → ${result.error.code}`,
        {
          tool: call.name,
          input: call.input,
          error: result.error,
        },
      );
    }
  }

  private checkRunnable(input: AgentRunInput, state: AgentCheckpoint): void {
    if (input.worker.signal.aborted) throw this.stopped(input);
    if (input.limits && state.usage!.tokens >= input.limits.tokens) {
      throw new AgentsException(
        AgentsErrorCode.TokenLimit,
        `The ${input.role.name} used its share of the job's tokens (${input.limits.tokens})`,
        { role: input.role.name, used: state.usage!.tokens, cap: input.limits.tokens },
      );
    }
    const elapsed = input.job.usedWallMs + (Date.now() - input.runStartedAt);
    if (elapsed >= input.job.maxWallMs) {
      throw new AgentsException(
        AgentsErrorCode.TimeLimit,
        `Wall-time cap reached: ${Math.round(elapsed / 1000)} s of ${Math.round(input.job.maxWallMs / 1000)} s`,
        {
          used: elapsed,
          cap: input.job.maxWallMs,
        },
      );
    }
    if (elapsed >= input.job.maxWallMs * WARN_AT && !state.warned.includes('time')) {
      state.warned.push('time');
      void input.worker.emit([
        {
          type: 'budget_warning',
          role: input.role.name,
          summary: `time at ${Math.round((100 * elapsed) / input.job.maxWallMs)}% of its cap`,
          data: { dimension: 'time', fraction: elapsed / input.job.maxWallMs },
        },
      ]);
    }
  }

  private stopped(input: AgentRunInput): AgentsException {
    const reason = input.worker.abortReason();
    return new AgentsException(AgentsErrorCode.Cancelled, reason === 'cancelled' ? 'The job was cancelled' : `The run stopped: ${reason}`, {
      reason,
    });
  }

  private async warnNearCaps(input: AgentRunInput, state: AgentCheckpoint, use: BudgetUse): Promise<void> {
    const fresh = (['tokens', 'cost', 'steps'] as const).filter((d) => use.fractions[d] >= WARN_AT && !state.warned.includes(d));
    if (fresh.length === 0) return;
    state.warned.push(...fresh);
    await input.worker.emit(
      fresh.map((dimension) => ({
        type: 'budget_warning',
        role: input.role.name,
        summary: `${dimension} at ${Math.round(100 * use.fractions[dimension])}% of its cap`,
        data: { dimension, fraction: use.fractions[dimension] },
      })),
    );
  }

  private async checkpoint(input: AgentRunInput, state: AgentCheckpoint): Promise<void> {
    state.toolState = input.toolContext.state.toJSON();
    state.approvedRules = input.toolContext.gate.approvedRules?.() ?? state.approvedRules;
    state.diff = await input.diff();
    await input.worker.checkpoint(state as unknown as Record<string, unknown>);
  }
}
