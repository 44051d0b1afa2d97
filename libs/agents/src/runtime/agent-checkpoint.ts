import type Anthropic from '@anthropic-ai/sdk';
import type { RenderedRef } from '@app/tdln';
import type { ToolRunStateJson } from '@app/tools';

/** A tool call the job is parked on: a person must approve it, or answer the question it asked. */
export interface PendingCall {
  toolUseId: string;
  name: string;
  input: unknown;
  kind: 'approval' | 'question';
  question: string;
  /** The policy rules an approval of this call approves. */
  rules?: string[];
  /** The tdln-out template the question was rendered with, and what it cites. */
  template?: RenderedRef;
}

/** Everything needed to resume an agent on another worker. Stored on the job after every step. */
export interface AgentCheckpoint {
  version: 1;
  role: string;
  transcript: Anthropic.MessageParam[];
  /** Results already produced for the tool calls of the last assistant turn, when parked mid-turn. */
  partialResults: Anthropic.ToolResultBlockParam[];
  /** The calls of the last assistant turn not run yet, when parked mid-turn. */
  remainingCalls: { id: string; name: string; input: unknown }[];
  pending: PendingCall | null;
  toolState: ToolRunStateJson;
  /** Cumulative diff of the workspace against the base ref, to rebuild it elsewhere. */
  diff: string;
  /** Policy rules a person approved for this job. */
  approvedRules?: string[];
  /** Budget dimensions already warned about. */
  warned: string[];
  /** Repeated failing calls, for the loop guard. */
  failures: Record<string, number>;
  /** Steps and tokens this role has used so far, against its share of the job's budget. */
  usage?: { steps: number; tokens: number };
  /** Pipeline state of the roles before this one (plan, review...), owned by the handler. */
  pipeline?: Record<string, unknown>;
}
