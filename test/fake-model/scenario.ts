import { createHash } from 'node:crypto';

/** Fallback role name used when a request's system prompt has no `Role: <name>` line. */
export const NO_ROLE = '(none)';

/** Text the fake answers with once a role's script has no turn left at the requested index. */
export const EXHAUSTED_TEXT = '(fake model: script exhausted)';

/** Error `type` values of the Anthropic error body (`{"type":"error","error":{"type":...}}`). */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

/** Stop reasons the fake can report; by default it derives `tool_use` or `end_turn` from the content. */
export type StopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

/** A scripted text block of an assistant reply. */
export interface ScriptedText {
  type: 'text';
  text: string;
}

/** A scripted tool call; the fake generates a `toolu_...` id unless one is given. */
export interface ScriptedToolUse {
  type: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  id?: string;
  /**
   * Chat Completions fake only: the arguments text streamed instead of `JSON.stringify(input)` — for a
   * model that writes arguments that are not valid JSON. The Messages API fake ignores it.
   */
  rawArguments?: string;
}

/** One content block of a scripted reply. */
export type ScriptedBlock = ScriptedText | ScriptedToolUse;

/** Usage fields a turn may pin instead of the simulated values. */
export interface UsageOverride {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** Fields every turn kind accepts. */
export interface TurnTiming {
  /** Wait this long before sending anything (status line included). */
  delayMs?: number;
  /** Streaming only: wait this long between SSE events. */
  eventDelayMs?: number;
}

/** A successful assistant reply. */
export interface ResponseTurn extends TurnTiming {
  content: ScriptedBlock[];
  /** Defaults to `tool_use` when any block is a tool call, else `end_turn`. */
  stopReason?: StopReason;
  usage?: UsageOverride;
}

/** The HTTP error the fake answers with, in the Anthropic error format. */
export interface ErrorSpec {
  status: number;
  type: ApiErrorType;
  message: string;
  /** Sent as `retry-after` (seconds; the SDK accepts fractions). */
  retryAfter?: number;
  /** Sent as `retry-after-ms`, which the SDK prefers over `retry-after`. */
  retryAfterMs?: number;
  /** Sent as `x-should-retry`, which overrides the SDK's status-based retry decision. */
  shouldRetry?: boolean;
}

/** A turn that answers with an HTTP error every time its position is requested. */
export interface ErrorTurn extends TurnTiming {
  error: ErrorSpec;
}

/**
 * A turn whose reply is cut off: streaming requests get a few SSE events and then the socket
 * closes; non-streaming requests get the status line and half of the JSON body.
 */
export interface TruncateTurn extends TurnTiming {
  truncate: true;
  /** What the cut-off reply would have been; a short text block when omitted. */
  content?: ScriptedBlock[];
  /** Streaming only: how many SSE events to send before closing (default: through the first delta). */
  afterEvents?: number;
}

/**
 * A turn that fails for the first `failTimes` requests seen at its (scenario, role, index)
 * position and answers `then` afterwards — a transient failure the caller's retry should absorb.
 */
export type FlakyTurn = TurnTiming & {
  failTimes: number;
  then: ResponseTurn | TruncateTurn;
} & ({ error: ErrorSpec; truncate?: never } | { truncate: true; error?: never });

/**
 * A turn computed from the request — for a stand-in model that answers whatever it is asked
 * (benchmarks over a corpus); scripted turns are better wherever the request is known.
 */
export interface ComputedTurn {
  compute: (input: MatchInput) => ResponseTurn | ErrorTurn;
}

/** One scripted model turn. */
export type Turn = ResponseTurn | ErrorTurn | TruncateTurn | FlakyTurn | ComputedTurn;

/** The request fields a scenario predicate can look at. */
export interface MatchInput {
  /** System prompt text (string or text blocks, joined by newlines). */
  system: string;
  /** Text of the first user message (text blocks and tool results, joined by newlines). */
  firstUserText: string;
  /** `metadata.user_id`, when sent. */
  metadataUserId: string | undefined;
  /** The parsed request body. */
  body: MessagesRequestBody;
}

/** How a scenario recognises its requests; the first added scenario that matches wins. */
export type ScenarioMatch = { contains: string } | { metadataUserId: string } | { predicate: (input: MatchInput) => boolean };

/** A scripted conversation: which requests it answers and what each role says turn by turn. */
export interface Scenario {
  /** Names the scenario in recorded requests and failure counters; `scenario-<n>` when omitted. */
  name?: string;
  match: ScenarioMatch;
  /** Turns per role, indexed by the number of assistant messages in the request. */
  roles?: Record<string, Turn[]>;
  /** Turns for any role that `roles` does not list (`roles.default` works too). */
  default?: Turn[];
  /** Set to false to simulate a request that never hits or writes the prompt cache. */
  cache?: boolean;
}

/** The subset of the Messages API request body the fake reads. */
export interface MessagesRequestBody {
  model?: string;
  max_tokens?: number;
  messages?: RequestMessage[];
  system?: string | RequestBlock[];
  tools?: Array<Record<string, unknown>>;
  metadata?: { user_id?: string | null };
  stream?: boolean;
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

/** A message of the request's `messages` array. */
export interface RequestMessage {
  role: 'user' | 'assistant' | 'system';
  content: string | RequestBlock[];
}

/** A request content block; only the fields the fake reads are typed. */
export interface RequestBlock {
  type: string;
  text?: string;
  id?: string;
  tool_use_id?: string;
  input?: unknown;
  content?: string | RequestBlock[];
  cache_control?: CacheControl | null;
  [key: string]: unknown;
}

/** A prompt-caching breakpoint marker. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/** Build a text block. */
export function text(value: string): ScriptedText {
  return { type: 'text', text: value };
}

/** Build a tool call block. */
export function toolUse(name: string, input: Record<string, unknown>, id?: string): ScriptedToolUse {
  return id === undefined ? { type: 'tool_use', name, input } : { type: 'tool_use', name, input, id };
}

/** Build a reply turn from its blocks; a bare string becomes one text block. */
export function reply(...blocks: Array<ScriptedBlock | string>): ResponseTurn {
  return { content: blocks.map((b) => (typeof b === 'string' ? text(b) : b)) };
}

/** Build a 429 `rate_limit_error` turn with an optional `retry-after` in seconds. */
export function rateLimited(retryAfter?: number): ErrorTurn {
  return {
    error: {
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your per-minute rate limit (fake).',
      ...(retryAfter === undefined ? {} : { retryAfter }),
    },
  };
}

/** Build a 529 `overloaded_error` turn. */
export function overloaded(): ErrorTurn {
  return { error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } };
}

/** Build a turn that fails `failTimes` times with `error` before answering `then`. */
export function flaky(failTimes: number, error: ErrorSpec, then: ResponseTurn | TruncateTurn): FlakyTurn {
  return { failTimes, error, then };
}

/** Type guard for {@link ComputedTurn}. */
export function isComputedTurn(turn: Turn): turn is ComputedTurn {
  return typeof (turn as ComputedTurn).compute === 'function';
}

/** Type guard for {@link FlakyTurn}. */
export function isFlakyTurn(turn: Turn): turn is FlakyTurn {
  return 'failTimes' in turn;
}

/** Type guard for {@link ErrorTurn}. */
export function isErrorTurn(turn: Turn): turn is ErrorTurn {
  return !isFlakyTurn(turn) && 'error' in turn && turn.error !== undefined;
}

/** Type guard for {@link TruncateTurn}. */
export function isTruncateTurn(turn: Turn): turn is TruncateTurn {
  return !isFlakyTurn(turn) && 'truncate' in turn && turn.truncate === true;
}

/** What a scripted position answers on one request, whichever wire protocol serves it. */
export type ResolvedTurn =
  | { kind: 'reply'; turn: ResponseTurn; timing: TurnTiming }
  | { kind: 'error'; error: ErrorSpec; timing: TurnTiming }
  | { kind: 'truncate'; turn: TruncateTurn; timing: TurnTiming };

/** What a cut-off reply starts with when its turn does not say. */
export const TRUNCATED_CONTENT: ScriptedBlock[] = [{ type: 'text', text: 'This reply is cut off by the fake model before it' }];

/** What a scripted position answers on its `attempt`-th request (1-based). */
export function resolveTurn(turn: Turn | undefined, attempt: number, input: MatchInput): ResolvedTurn {
  const scripted = turn !== undefined && isComputedTurn(turn) ? turn.compute(input) : turn;
  if (scripted === undefined) {
    return { kind: 'reply', turn: { content: [{ type: 'text', text: EXHAUSTED_TEXT }] }, timing: {} };
  }
  if (isFlakyTurn(scripted)) {
    const timing: TurnTiming = { delayMs: scripted.delayMs, eventDelayMs: scripted.eventDelayMs };
    const then = scripted.then;
    if (attempt > scripted.failTimes) {
      return isTruncateTurn(then) ? { kind: 'truncate', turn: then, timing: then } : { kind: 'reply', turn: then, timing: then };
    }
    if (scripted.error !== undefined) return { kind: 'error', error: scripted.error, timing };
    // The cut-off reply starts like the eventual one, as a dropped connection would.
    return { kind: 'truncate', turn: { ...timing, truncate: true, content: then.content }, timing };
  }
  if (isErrorTurn(scripted)) return { kind: 'error', error: scripted.error, timing: scripted };
  if (isTruncateTurn(scripted)) return { kind: 'truncate', turn: scripted, timing: scripted };
  return { kind: 'reply', turn: scripted, timing: scripted };
}

/** Text of a system prompt given as a string or as text blocks. */
export function systemText(system: MessagesRequestBody['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system.map((b) => b.text ?? '').join('\n');
}

/** Text of a message's content: text blocks and (nested) tool-result text, newline-joined. */
export function contentText(content: string | RequestBlock[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((b) => {
      if (b.type === 'text') return b.text ?? '';
      if (b.type === 'tool_result') return contentText(b.content);
      return '';
    })
    .filter((s) => s !== '')
    .join('\n');
}

/** The role named by a `Role: <name>` line of the system prompt (or of `role: 'system'` messages). */
export function roleOf(body: MessagesRequestBody): string | undefined {
  const systemMessages = (body.messages ?? []).filter((m) => m.role === 'system');
  const haystack = [systemText(body.system), ...systemMessages.map((m) => contentText(m.content))].join('\n');
  return /^\s*Role:\s*(\S+)\s*$/m.exec(haystack)?.[1];
}

/** The script position a request asks for: how many assistant messages it already carries. */
export function turnIndexOf(body: MessagesRequestBody): number {
  return (body.messages ?? []).filter((m) => m.role === 'assistant').length;
}

/** The fields a {@link ScenarioMatch} is tested against. */
export function matchInputOf(body: MessagesRequestBody): MatchInput {
  const firstUser = (body.messages ?? []).find((m) => m.role === 'user');
  return {
    system: systemText(body.system),
    firstUserText: contentText(firstUser?.content),
    metadataUserId: body.metadata?.user_id ?? undefined,
    body,
  };
}

/** Whether `scenario` claims a request with these fields. */
export function scenarioMatches(scenario: Scenario, input: MatchInput): boolean {
  const m = scenario.match;
  if ('contains' in m) return `${input.system}\n${input.firstUserText}`.includes(m.contains);
  if ('metadataUserId' in m) return input.metadataUserId === m.metadataUserId;
  return m.predicate(input);
}

/** The turn list a scenario plays for `role`, or undefined when it has none. */
export function turnsFor(scenario: Scenario, role: string | undefined): Turn[] | undefined {
  const roles = scenario.roles ?? {};
  if (role !== undefined && Object.prototype.hasOwnProperty.call(roles, role)) return roles[role];
  return roles['default'] ?? scenario.default;
}

/** Estimated tokens for a number of characters: `ceil(chars / 4)`. */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Character count of a scripted block as it counts towards output tokens. */
export function outputChars(block: ScriptedBlock): number {
  return block.type === 'text' ? block.text.length : block.name.length + JSON.stringify(block.input).length;
}

/** Stable hex digest used for prompt-cache prefixes. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
