import type { ChangeAction, ChangeGate, GateDecision } from './change-gate';
import type { ToolRunState } from './tool-run-state';
import { ToolsErrorCode } from './tools.errors';
import type { Workspace } from './workspace/workspace';

/** How much harm a tool can do: `safe` reads, `reversible` changes the job's own workspace, `dangerous` reaches outside. */
export type RiskClass = 'safe' | 'reversible' | 'dangerous';

/** The code of a failed tool result (the values of {@link ToolsErrorCode}). */
export type ToolErrorCode = `${ToolsErrorCode}`;

/** A JSON Schema object, as the Anthropic `tools` parameter takes it. */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

/** A failure the model can act on. */
export interface ToolError {
  code: ToolErrorCode;
  message: string;
  details?: unknown;
}

/** The typed result of one tool call; failures are data, not exceptions. */
export type ToolResult<O> = { ok: true; data: O; summary: string } | { ok: false; error: ToolError };

/** What a tool call runs against. */
export interface ToolContext {
  workspace: Workspace;
  /** Aborted when the job is cancelled or the worker shuts down; long runs stop. */
  signal: AbortSignal;
  jobId: string;
  gate: ChangeGate;
  state: ToolRunState;
  /** Trailers appended to commit messages; falls back to `state.trailers`. */
  trailers?: Record<string, string>;
  /** A person approved committing the change past failing checks: the tests rule is waived, the policy gate still judges. */
  approval?: { by: string; failing: string[] };
}

/** One tool: its schema for the model, its risk class and its implementation. */
export interface ToolDefinition<I = unknown, O = unknown> {
  name: string;
  description: string;
  inputSchema: JsonSchema & { type: 'object' };
  risk: RiskClass;
  mutating: boolean;
  /** Runs with input already validated against `inputSchema`. */
  run(input: I, ctx: ToolContext): Promise<ToolResult<O>>;
}

/** The shape of one entry of the Anthropic Messages API `tools` parameter. */
export interface AnthropicToolParam {
  name: string;
  description: string;
  input_schema: JsonSchema & { type: 'object' };
}

/** A successful result. */
export function ok<O>(data: O, summary: string): ToolResult<O> {
  return { ok: true, data, summary };
}

/** A failed result. */
export function fail<O = never>(code: ToolErrorCode, message: string, details?: unknown): ToolResult<O> {
  return details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };
}

/**
 * Asks the gate about a change. Returns the failed result to hand back (approval needed or blocked;
 * nothing is applied), or the decision when the tool may go on (`allow` or `warn`).
 */
export async function passGate(
  ctx: ToolContext,
  action: ChangeAction,
): Promise<{ proceed: true; decision: GateDecision } | { proceed: false; result: ToolResult<never> }> {
  const decision = await ctx.gate.check(action, ctx.state);
  switch (decision.verdict) {
    case 'allow':
    case 'warn':
      return { proceed: true, decision };
    case 'require_approval':
      return {
        proceed: false,
        result: fail(
          ToolsErrorCode.ApprovalRequired,
          `This ${action.kind} needs human approval before it is applied; it was not applied.`,
          {
            action,
            violations: decision.violations,
            remediation: decision.remediation,
          },
        ),
      };
    case 'block':
      return {
        proceed: false,
        result: fail(
          ToolsErrorCode.PolicyBlocked,
          `Policy blocks this ${action.kind}: ${decision.violations.map((v) => v.message).join('; ') || 'no reason given'}` +
            (decision.remediation ? `. ${decision.remediation}` : ''),
          { action, violations: decision.violations, remediation: decision.remediation },
        ),
      };
  }
}

/** Warnings of a `warn` decision, for a result summary. */
export function gateWarnings(decision: GateDecision): string {
  return decision.verdict === 'warn' && decision.violations.length
    ? ` (policy warnings: ${decision.violations.map((v) => v.message).join('; ')})`
    : '';
}
