import { Inject, Injectable } from '@nestjs/common';
import type Anthropic from '@anthropic-ai/sdk';
import { Logger } from 'pino';
import {
  DomainException,
  LOGGER,
  modelCalls,
  modelCallSeconds,
  modelCostCents,
  modelTokens,
  toolCalls,
  toolCallSeconds,
} from '@app/common';
import { HumanResponse, Job, PendingQuestion } from '@app/jobs';
import { TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { ChangeAction, ChangeGate, SANDBOX_FIX, ToolContext, ToolRegistry, ToolResult } from '@app/tools';
import { JobContext } from '@app/worker';
import { AgentsErrorCode, isCapReached } from '../agents.errors';
import { BudgetService, BudgetUse, Reservation, chargeOf } from '../budget/budget.service';
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
  | { kind: 'waiting'; question: PendingQuestion; checkpoint: AgentCheckpoint }
  /**
   * A cap stopped the role (the job's, or the role's share of it). The checkpoint holds everything
   * done so far, the calls of a turn cut short included, so a run with more room resumes exactly there.
   */
  | { kind: 'capped'; error: DomainException; checkpoint: AgentCheckpoint };

/** Tools that park the job until a person answers. */
const HUMAN_TOOLS = new Set(['request_human_review', 'ask_user']);
const WARN_AT = 0.8;
const STUCK_AFTER = 3;

interface Call {
  id: string;
  name: string;
  input: unknown;
}

/** The last turn's checkpoint, started and not yet awaited: the next call's reservation goes out beside it. */
interface PendingSave {
  saved: Promise<unknown>;
}

/** What a turn's calls came to; `saved` settles when the turn's checkpoint is written. */
interface Turn {
  parked?: AgentRunOutcome;
  stoppedBy?: { name: string; data: unknown };
  saved: Promise<unknown>;
}

/** Waits for every write, then throws the first failure: no write is left in flight behind an error. */
async function allWritten<T extends readonly unknown[]>(writes: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Runs one agent role: the model proposes, tools act, until the model stops calling tools or a
 * stop tool succeeds. Before every model call it checks cancellation and the wall clock and
 * reserves budget; every call and result is an event; the transcript, tool state and diff are
 * checkpointed after every turn, so another worker can resume exactly there.
 *
 * A step waits for two database round trips: the settlement (which also takes the first tool call's
 * step) beside the model-call event, then the tool-call event beside the checkpoint and the next
 * call's reservation. Writes that go out together are independent; each event is written before
 * the next one starts, so events stay in order.
 */
@Injectable()
export class AgentRunner {
  private readonly logger: Logger;

  constructor(
    private readonly model: ModelGateway,
    private readonly budget: BudgetService,
    @Inject(LOGGER) logger: Logger,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
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
    const checkpointing: PendingSave = { saved: Promise.resolve() };
    try {
      return await this.work(input, state, checkpointing);
    } catch (error) {
      // A checkpoint still being written lands before anything written after the failure.
      await checkpointing.saved.catch(() => undefined);
      if (!isCapReached(error)) throw error;
      await this.checkpoint(input, state);
      return { kind: 'capped', error, checkpoint: state };
    }
  }

  private async work(input: AgentRunInput, state: AgentCheckpoint, checkpointing: PendingSave): Promise<AgentRunOutcome> {
    const { role, job, worker } = input;
    const tools = input.registry.definitions(role.tools) as Anthropic.Tool[];

    if (state.pending) {
      // Resume a turn that was parked on a person.
      const pending = state.pending;
      state.pending = null;
      const result = await this.resolvePending(input, pending);
      state.partialResults.push(this.toolResultBlock(pending.toolUseId, result));
      const turn = await this.runCalls(input, state, state.remainingCalls);
      checkpointing.saved = turn.saved;
      if (turn.parked) return turn.parked;
      if (turn.stoppedBy) {
        await turn.saved;
        return { kind: 'finished', text: '', stoppedBy: turn.stoppedBy, checkpoint: state };
      }
    } else if (state.remainingCalls.length > 0) {
      // Resume a turn a cap cut short: its calls not run yet run now, and none that ran is run again.
      const turn = await this.runCalls(input, state, state.remainingCalls);
      checkpointing.saved = turn.saved;
      if (turn.parked) return turn.parked;
      if (turn.stoppedBy) {
        await turn.saved;
        return { kind: 'finished', text: '', stoppedBy: turn.stoppedBy, checkpoint: state };
      }
    }

    // The request the previous call sent, as estimated: the next call reads it from the prompt cache.
    let cached = 0;
    for (;;) {
      this.checkRunnable(input, state);
      const request = { system: role.system, tools, messages: state.transcript };
      const estimate = this.model.estimateInputTokens(request);
      const expected = this.model.estimateCall(job.mode, estimate, cached);
      const reservation = await this.reserveBeside(job.id, expected, checkpointing);
      cached = estimate;
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
      // The settlement takes the first tool call's step too, when the role has one left.
      const stepFirst = calls.length > 0 && !(input.limits && state.usage!.steps >= input.limits.steps);
      const settling = this.budget.settle(reservation, response, stepFirst);
      const charged = chargeOf(response);
      state.usage!.tokens += charged.tokens;
      modelCalls.inc({ mode: job.mode, role: role.name, model: response.model });
      modelCallSeconds.observe({ mode: job.mode, role: role.name }, response.latencyMs / 1000);
      modelTokens.inc({ mode: job.mode, kind: 'input' }, response.usage.inputTokens);
      modelTokens.inc({ mode: job.mode, kind: 'output' }, response.usage.outputTokens);
      modelTokens.inc({ mode: job.mode, kind: 'cache_read' }, response.usage.cacheReadTokens);
      modelTokens.inc({ mode: job.mode, kind: 'cache_write' }, response.usage.cacheCreationTokens);
      modelCostCents.inc({ mode: job.mode }, response.costCents);
      const text = textOf(response.message);
      const emitting = worker.emit([
        {
          type: 'model_call',
          role: role.name,
          summary: `${role.name} → ${response.model}: ${response.totalTokens} tokens (${charged.tokens} against the cap), ${response.costCents.toFixed(3)}¢, ${response.latencyMs} ms`,
          data: {
            model: response.model,
            usage: response.usage,
            totalTokens: response.totalTokens,
            budgetTokens: charged.tokens,
            costCents: response.costCents,
            latencyMs: response.latencyMs,
            attempts: response.attempts,
            stopReason: response.message.stop_reason,
            text,
            toolCalls: response.message.content.filter((b) => b.type === 'tool_use').map((b) => (b as Anthropic.ToolUseBlock).name),
          },
        },
      ]);
      const [use] = await allWritten([settling, emitting]);
      await this.warnNearCaps(input, state, use);
      state.transcript.push({ role: 'assistant', content: response.message.content as Anthropic.ContentBlockParam[] });

      if (calls.length === 0) {
        await this.checkpoint(input, state);
        return { kind: 'finished', text, checkpoint: state };
      }
      state.partialResults = [];
      const turn = await this.runCalls(input, state, calls, use.stepTaken);
      checkpointing.saved = turn.saved;
      if (turn.parked) return turn.parked;
      if (turn.stoppedBy) {
        await turn.saved;
        return { kind: 'finished', text, stoppedBy: turn.stoppedBy, checkpoint: state };
      }
    }
  }

  /**
   * Reserves the next call's budget while the last turn's checkpoint is written. A reservation made
   * beside a checkpoint that failed is given back.
   */
  private async reserveBeside(
    jobId: string,
    expected: { tokens: number; costCents: number },
    checkpointing: PendingSave,
  ): Promise<Reservation> {
    const [reserved, saved] = await Promise.allSettled([
      this.budget.reserve(jobId, expected.tokens, expected.costCents),
      checkpointing.saved,
    ]);
    checkpointing.saved = Promise.resolve();
    if (saved.status === 'rejected') {
      if (reserved.status === 'fulfilled') await this.budget.release(reserved.value);
      throw saved.reason;
    }
    if (reserved.status === 'rejected') throw reserved.reason;
    return reserved.value;
  }

  /**
   * Runs the calls of one assistant turn; parks the job on a call that needs a person. The turn's
   * checkpoint is started, not awaited (see {@link Turn}). `firstStepTaken`: the settlement already
   * took the first call's step.
   */
  private async runCalls(input: AgentRunInput, state: AgentCheckpoint, calls: Call[], firstStepTaken = false): Promise<Turn> {
    const { role, worker } = input;
    let stoppedBy: { name: string; data: unknown } | undefined;
    // A call's event is written while the next call takes its step (or the turn is checkpointed),
    // and awaited before the next event is written.
    let recorded: Promise<unknown> = Promise.resolve();
    let stepHeld = firstStepTaken;
    try {
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i];
        try {
          this.checkRunnable(input, state);
          if (input.limits && state.usage!.steps >= input.limits.steps) {
            throw new DomainException(
              AgentsErrorCode.StepLimit,
              `The ${role.name} used its share of the job's tool calls (${input.limits.steps})`,
              { role: role.name, used: state.usage!.steps, cap: input.limits.steps },
            );
          }
          if (stepHeld) {
            stepHeld = false;
            await recorded;
          } else {
            await allWritten([recorded, this.budget.takeStep(input.job.id)]);
          }
        } catch (error) {
          // A step the settlement took for a call that does not run now is given back, so the call
          // takes its step once, when it runs.
          if (stepHeld) {
            await this.budget.returnStep(input.job.id).catch((failure: unknown) => {
              this.logger.warn({ err: failure, jobId: input.job.id }, 'could not give back a step taken for a call that did not run');
            });
          }
          // The calls of this turn not run yet are kept, so a run with more room runs them and no other.
          if (isCapReached(error)) state.remainingCalls = calls.slice(i);
          throw error;
        }
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
        // Awaited before the next event and by the turn's end; handled now so a failure is never unhandled.
        recording.catch(() => undefined);
        recorded = recording;

        const human = this.parkingQuestion(call, result);
        if (human) {
          state.pending = human;
          state.remainingCalls = calls.slice(i + 1);
          await allWritten([recorded, this.checkpoint(input, state)]);
          const parked: AgentRunOutcome = {
            kind: 'waiting',
            question: {
              kind: human.kind,
              question: human.question,
              askedBy: role.name,
              options: human.kind === 'approval' ? ['approve', 'reject'] : undefined,
              data: { tool: call.name, input: call.input, ...(human.template ? { template: human.template } : {}) },
            },
            checkpoint: state,
          };
          return { parked, saved: Promise.resolve() };
        }
        if (!result.ok && result.error.code === 'disk_full') throw new DomainException(AgentsErrorCode.DiskFull, result.error.message);
        // Without a working sandbox no test can run: the job ends now rather than asking a person to approve untested work.
        if (!result.ok && result.error.code === 'sandbox_unavailable')
          throw new DomainException(AgentsErrorCode.SandboxUnavailable, `${result.error.message} Fix: ${SANDBOX_FIX}.`);
        if (!result.ok) this.guardAgainstLoops(state, call, result);
        if (result.ok && role.stopTools?.includes(call.name)) stoppedBy = { name: call.name, data: result.data };
        state.partialResults.push(this.toolResultBlock(call.id, result));
      }
      state.transcript.push({ role: 'user', content: state.partialResults });
      state.partialResults = [];
      state.remainingCalls = [];
      const saved = allWritten([recorded, this.checkpoint(input, state)]);
      // Awaited by the caller; handled now so a failure is never unhandled.
      saved.catch(() => undefined);
      return { stoppedBy, saved };
    } catch (error) {
      await recorded.catch(() => undefined);
      throw error;
    }
  }

  private parkingQuestion(call: Call, result: ToolResult<unknown>): PendingCall | null {
    if (!result.ok && result.error.code === 'approval_required') {
      const details = result.error.details as { action?: ChangeAction; violations?: { rule: string; message: string }[] } | undefined;
      const violations = details?.violations ?? [];
      const rules = [...new Set(violations.map((v) => v.rule))];
      const asked = this.tdln.text('needs_approval', {
        action: { kind: details?.action?.kind ?? 'change', paths: details?.action?.paths ?? [] },
        reasons: violations.map((v) => v.message),
        rules,
      });
      return {
        toolUseId: call.id,
        name: call.name,
        input: call.input,
        kind: 'approval',
        question: asked.text,
        rules: violations.map((v) => v.rule),
        template: renderedRef(asked),
      };
    }
    if (result.ok && HUMAN_TOOLS.has(call.name)) {
      const data = result.data as { question?: string; kind?: 'approval' | 'question' };
      const asked = this.tdln.text('agent_question', { question: data.question ?? 'The agent needs a person.' });
      return {
        toolUseId: call.id,
        name: call.name,
        input: call.input,
        kind: data.kind ?? 'question',
        question: asked.text,
        template: renderedRef(asked),
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
      throw new DomainException(
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
      throw new DomainException(
        AgentsErrorCode.TokenLimit,
        `The ${input.role.name} used its share of the job's tokens (${input.limits.tokens})`,
        { role: input.role.name, used: state.usage!.tokens, cap: input.limits.tokens },
      );
    }
    const elapsed = input.job.usedWallMs + (Date.now() - input.runStartedAt);
    if (elapsed >= input.job.maxWallMs) {
      throw new DomainException(
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

  private stopped(input: AgentRunInput): DomainException {
    const reason = input.worker.abortReason();
    return new DomainException(AgentsErrorCode.Cancelled, reason === 'cancelled' ? 'The job was cancelled' : `The run stopped: ${reason}`, {
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
