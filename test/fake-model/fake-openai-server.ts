import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PromptCache, type PromptAccounting } from './prompt-cache';
import {
  NO_ROLE,
  TRUNCATED_CONTENT,
  matchInputOf,
  resolveTurn,
  roleOf,
  scenarioMatches,
  tokensForChars,
  turnIndexOf,
  turnsFor,
  type ApiErrorType,
  type ErrorSpec,
  type MessagesRequestBody,
  type RequestBlock,
  type RequestMessage,
  type Scenario,
  type ScriptedBlock,
  type StopReason,
  type TruncateTurn,
  type Turn,
  type TurnTiming,
  type UsageOverride,
} from './scenario';
import { chunks, clientGone, excerpt, headersOf, randomId, readBody, sleep, writeFrame } from './wire';

/** Options of {@link startFakeOpenAi}. */
export interface FakeOpenAiOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; defaults to 127.0.0.1. */
  host?: string;
  /** When set, any request whose bearer token differs gets a 401 `invalid_api_key`. */
  requireApiKey?: string;
  /** Set to false to disable the simulated prefix cache (no `cached_tokens`) for every scenario. */
  cache?: boolean;
  /**
   * Reject what the real API (and vLLM) reject: unknown request fields, malformed messages, tool
   * messages that answer no call, calls left unanswered, arguments that are not a JSON object, a
   * `tool_choice` that names no tool; true by default.
   */
  strict?: boolean;
  /** Ignore `stream_options.include_usage` (as some servers do): no usage chunk, no `usage` in JSON answers. */
  reportUsage?: boolean;
  /** Clock for cache TTLs. */
  now?: () => number;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

/** What the fake did with a request. */
export type ChatOutcome =
  | 'pending'
  | 'reply'
  | 'exhausted'
  | 'error'
  | 'truncated'
  | 'unmatched'
  | 'invalid'
  | 'unauthorized'
  | 'models'
  | 'not_found'
  | 'client_gone';

/** The request body of `POST /v1/chat/completions`, as far as the fake reads it. */
export interface ChatRequestBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: Array<{ type?: string; function?: { name?: string; description?: string; parameters?: Record<string, unknown> } }>;
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number;
  max_completion_tokens?: number;
  user?: string;
  [key: string]: unknown;
}

/** A message of the request's `messages`. */
export interface ChatMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string; [key: string]: unknown }> | null;
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: unknown } }>;
  tool_call_id?: string;
  [key: string]: unknown;
}

/** Token usage as the Chat Completions API reports it. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** A served answer, as a non-streaming `chat.completion` object. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      annotations: [];
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    };
    logprobs: null;
    finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  }>;
  usage: ChatUsage;
}

/** One request the fake received, filled in as it is answered. */
export interface ChatRecordedRequest {
  seq: number;
  /** The `x-request-id` header the fake answered with. */
  requestId: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The token of `authorization: Bearer …`. */
  apiKey: string | undefined;
  /** The body as sent. */
  body: ChatRequestBody | undefined;
  /** The body read in the Messages API's shapes: what scenarios match on (see README). */
  view?: MessagesRequestBody;
  stream: boolean;
  /** Whether the request asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  scenario?: string;
  role?: string;
  turnIndex?: number;
  attempt?: number;
  outcome: ChatOutcome;
  status?: number;
  /** The `error` object sent, if any. */
  error?: { message: string; type: string; param: string | null; code: string | null };
  /** Usage reported to the client (or that would have been, for a cut-off reply). */
  usage?: ChatUsage;
  accounting?: PromptAccounting;
  /** The answer served (or cut off). */
  response?: ChatCompletion;
}

/** A running fake Chat Completions API. */
export interface FakeOpenAi {
  /** Base URL for the SDK's `baseURL` and `OPENAI_BASE_URL` (ends in `/v1`). */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly ChatRecordedRequest[];
  /** Only the `POST /v1/chat/completions` requests. */
  completionRequests(): ChatRecordedRequest[];
  addScenario(scenario: Scenario): string;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['gpt-fake-mini', 'gpt-fake', 'qwen-fake-coder'];
const STREAM_CHUNK_CHARS = 24;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Top-level fields of a Chat Completions request the real API knows; anything else is refused by name. */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'n',
  'stop',
  'user',
  'seed',
  'response_format',
  'metadata',
  'store',
  'frequency_penalty',
  'presence_penalty',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'reasoning_effort',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
  'modalities',
  'audio',
  'prediction',
  'verbosity',
  'web_search_options',
]);
const MESSAGE_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly outcome: ChatOutcome,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new HttpError(400, 'invalid_request_error', message, 'invalid', param, code);

/** The OpenAI error `type` and `code` a scripted (Messages API) error type reads as; 529 becomes 503, which OpenAI sends when overloaded. */
function openAiError(spec: ErrorSpec): { status: number; type: string; code: string | null } {
  const byType: Record<ApiErrorType, { type: string; code: string | null }> = {
    invalid_request_error: { type: 'invalid_request_error', code: null },
    authentication_error: { type: 'invalid_request_error', code: 'invalid_api_key' },
    billing_error: { type: 'insufficient_quota', code: 'insufficient_quota' },
    permission_error: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
    not_found_error: { type: 'invalid_request_error', code: 'model_not_found' },
    request_too_large: { type: 'invalid_request_error', code: 'context_length_exceeded' },
    rate_limit_error: { type: 'requests', code: 'rate_limit_exceeded' },
    timeout_error: { type: 'server_error', code: null },
    api_error: { type: 'server_error', code: null },
    overloaded_error: { type: 'server_error', code: null },
  };
  return { status: spec.status === 529 ? 503 : spec.status, ...byType[spec.type] };
}

function partsText(content: ChatMessage['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p) => p.type === 'text')
    .map((p) => p.text ?? '')
    .join('\n');
}

function parsedArguments(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * The request in the Messages API's shapes, so the same scenarios match either fake: system and
 * developer messages become `system`, an assistant's tool calls `tool_use` blocks, consecutive
 * tool messages one user turn of `tool_result` blocks, `user` the `metadata.user_id`. Cache markers
 * sit after the tools, the system prompt and the last block: the server's automatic prefix cache.
 */
export function messagesViewOf(body: ChatRequestBody): MessagesRequestBody {
  const messages = body.messages ?? [];
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => partsText(m.content))
    .join('\n');
  const view: RequestMessage[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    if (message.role === 'tool') {
      const block: RequestBlock = { type: 'tool_result', tool_use_id: message.tool_call_id, content: partsText(message.content) };
      const last = view[view.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result'))
        last.content.push(block);
      else view.push({ role: 'user', content: [block] });
      continue;
    }
    if (message.role === 'assistant') {
      const blocks: RequestBlock[] = [];
      const text = partsText(message.content);
      if (text !== '') blocks.push({ type: 'text', text });
      for (const call of message.tool_calls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.function?.name, input: parsedArguments(call.function?.arguments) });
      }
      view.push({ role: 'assistant', content: blocks });
      continue;
    }
    view.push({
      role: 'user',
      content: typeof message.content === 'string' ? message.content : [{ type: 'text', text: partsText(message.content) }],
    });
  }
  const tools = (body.tools ?? []).map((t, i, all) => ({
    name: t.function?.name,
    description: t.function?.description,
    input_schema: t.function?.parameters ?? {},
    ...(i === all.length - 1 ? { cache_control: { type: 'ephemeral' } } : {}),
  }));
  const choice = body.tool_choice as { type?: string; function?: { name?: string } } | undefined;
  return {
    model: body.model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens,
    system: system === '' ? [] : [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
    messages: view,
    tools,
    ...(body.user !== undefined ? { metadata: { user_id: body.user } } : {}),
    ...(choice?.type === 'function' ? { tool_choice: { type: 'tool', name: choice.function?.name } } : {}),
    stream: body.stream,
    cache_control: { type: 'ephemeral' },
  };
}

/** What the real API (or vLLM, for arguments) refuses, in its words. */
function validate(raw: ChatRequestBody | undefined, strict: boolean): ChatRequestBody {
  if (raw === undefined || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid('We could not parse the JSON body of your request.');
  const body = raw;
  if (typeof body.model !== 'string' || body.model === '') throw invalid('you must provide a model parameter', 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid("[] is too short - 'messages'", 'messages');
  if (!strict) return body;
  for (const key of Object.keys(body)) if (!KNOWN_FIELDS.has(key)) throw invalid(`Unrecognized request argument supplied: ${key}`, key);
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools) || body.tools.length === 0) throw invalid("[] is too short - 'tools'", 'tools');
    body.tools.forEach((tool, i) => {
      if (tool?.type !== 'function')
        throw invalid(`Invalid value: '${String(tool?.type)}'. Supported values are: 'function' and 'custom'.`, `tools[${i}].type`);
      if (typeof tool.function?.name !== 'string' || !TOOL_NAME.test(tool.function.name)) {
        throw invalid(
          `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          `tools[${i}].function.name`,
        );
      }
      const parameters = tool.function.parameters;
      if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) {
        throw invalid(`Invalid type for 'tools[${i}].function.parameters': expected an object.`, `tools[${i}].function.parameters`);
      }
    });
  }
  if (body.tool_choice !== undefined) {
    if (body.tools === undefined)
      throw invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
    const choice = body.tool_choice as { type?: unknown; function?: { name?: unknown } } | string;
    if (typeof choice === 'string') {
      if (!['none', 'auto', 'required'].includes(choice))
        throw invalid(`Invalid value: '${choice}'. Supported values are: 'none', 'auto', and 'required'.`, 'tool_choice');
    } else {
      if (choice?.type !== 'function')
        throw invalid(`Invalid value: '${String(choice?.type)}'. Supported values are: 'function' and 'custom'.`, 'tool_choice.type');
      const name = choice.function?.name;
      if (!body.tools.some((t) => t.function?.name === name)) {
        throw invalid(
          `Invalid value for 'tool_choice': function ${JSON.stringify(name)} is not among the tools.`,
          'tool_choice.function.name',
        );
      }
    }
  }
  const messages = body.messages;
  let open: { index: number; ids: Set<string> } | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!MESSAGE_ROLES.includes(message?.role)) {
      throw invalid(
        `Invalid value: '${String(message?.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
      );
    }
    if (open !== undefined && message.role !== 'tool' && open.ids.size > 0) {
      throw invalid(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.ids].join(', ')}`,
        `messages.[${open.index}].role`,
      );
    }
    const content = message.content;
    if (Array.isArray(content)) {
      content.forEach((part, k) => {
        const allowed = message.role === 'user' ? ['text', 'image_url', 'input_audio', 'file'] : ['text'];
        if (!allowed.includes(part?.type)) {
          throw invalid(
            `Invalid value: '${String(part?.type)}'. Supported values are: ${allowed.map((t) => `'${t}'`).join(', ')}.`,
            `messages[${i}].content[${k}].type`,
          );
        }
        if (part.type === 'text' && typeof part.text !== 'string')
          throw invalid(`Missing required parameter: 'messages[${i}].content[${k}].text'.`, `messages[${i}].content[${k}].text`);
      });
    } else if (content !== undefined && content !== null && typeof content !== 'string') {
      throw invalid(
        `Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got an object instead.`,
        `messages[${i}].content`,
      );
    }
    if (message.role === 'assistant') {
      const calls = message.tool_calls;
      if (calls !== undefined && (!Array.isArray(calls) || calls.length === 0))
        throw invalid("[] is too short - 'tool_calls'", `messages[${i}].tool_calls`);
      if ((content === undefined || content === null) && calls === undefined)
        throw invalid(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`);
      (calls ?? []).forEach((call, k) => {
        const where = `messages[${i}].tool_calls[${k}]`;
        if (typeof call?.id !== 'string' || call.id === '') throw invalid(`Missing required parameter: '${where}.id'.`, `${where}.id`);
        if (call.type !== 'function') throw invalid(`Missing required parameter: '${where}.type'.`, `${where}.type`);
        if (typeof call.function?.name !== 'string')
          throw invalid(`Missing required parameter: '${where}.function.name'.`, `${where}.function.name`);
        const args = call.function.arguments;
        if (typeof args !== 'string')
          throw invalid(
            `Invalid type for '${where}.function.arguments': expected a string, but got ${typeof args} instead.`,
            `${where}.function.arguments`,
          );
        // vLLM parses past arguments for its chat templates; text that is not a JSON object fails there.
        const parsed = parsedArguments(args);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw invalid(
            `${where}.function.arguments: must be a JSON object, got ${JSON.stringify(excerpt(args))}`,
            `${where}.function.arguments`,
          );
        }
      });
      open = calls ? { index: i, ids: new Set(calls.map((c) => c.id as string)) } : undefined;
      continue;
    }
    if (message.role === 'tool') {
      if (typeof message.tool_call_id !== 'string')
        throw invalid(`Missing required parameter: 'messages[${i}].tool_call_id'.`, `messages[${i}].tool_call_id`);
      if (content === undefined || content === null)
        throw invalid(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`);
      if (open === undefined || !open.ids.has(message.tool_call_id)) {
        throw invalid(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      open.ids.delete(message.tool_call_id);
      continue;
    }
    open = undefined;
    if (content === undefined || content === null)
      throw invalid(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`);
  }
  if (open !== undefined && open.ids.size > 0) {
    throw invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.ids].join(', ')}`,
      `messages.[${open.index}].role`,
    );
  }
  return body;
}

function finishReasonOf(stop: StopReason | undefined, calledTools: boolean): ChatCompletion['choices'][0]['finish_reason'] {
  if (stop === 'max_tokens' || stop === 'model_context_window_exceeded') return 'length';
  if (stop === 'refusal') return 'content_filter';
  if (stop === undefined || stop === 'tool_use') return calledTools ? 'tool_calls' : 'stop';
  return 'stop';
}

/** Output characters of a scripted block: its text, or the tool's name and the arguments as streamed. */
function outputCharsOf(block: ScriptedBlock): number {
  return block.type === 'text' ? block.text.length : block.name.length + (block.rawArguments ?? JSON.stringify(block.input)).length;
}

/** The chunks of a streamed answer, in the order the API sends them (`usage` last when asked for). */
function streamChunks(completion: ChatCompletion, includeUsage: boolean): Array<Record<string, unknown>> {
  const { message, finish_reason } = completion.choices[0];
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const out: Array<Record<string, unknown>> = [chunk({ role: 'assistant', content: message.content === null ? null : '', refusal: null })];
  for (const piece of chunks(message.content ?? '', STREAM_CHUNK_CHARS)) out.push(chunk({ content: piece }));
  (message.tool_calls ?? []).forEach((call, index) => {
    out.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
    for (const piece of chunks(call.function.arguments, STREAM_CHUNK_CHARS))
      out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  out.push(chunk({}, finish_reason));
  if (includeUsage) out.push({ ...base, choices: [], usage: completion.usage });
  return out;
}

/**
 * Start a fake OpenAI Chat Completions API on a real HTTP port, answering from the same scenarios
 * as the Messages API fake (see README.md).
 */
export async function startFakeOpenAi(opts: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const strict = opts.strict ?? true;
  const models = opts.models ?? DEFAULT_MODELS;
  const cache = new PromptCache(opts.now ?? Date.now);
  const scenarios: Array<{ name: string; scenario: Scenario }> = [];
  const requests: ChatRecordedRequest[] = [];
  const attempts = new Map<string, number>();
  let scenarioCounter = 0;
  let seq = 0;

  function sendJson(
    res: ServerResponse,
    record: ChatRecordedRequest,
    status: number,
    payload: unknown,
    extra: Record<string, string> = {},
  ): void {
    record.status = status;
    if (clientGone(res)) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-request-id': record.requestId,
      ...extra,
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, record: ChatRecordedRequest, error: HttpError, headers: Record<string, string> = {}): void {
    record.outcome = error.outcome;
    record.error = { message: error.message, type: error.type, param: error.param, code: error.code };
    sendJson(res, record, error.status, { error: record.error }, headers);
  }

  function sendScripted(res: ServerResponse, record: ChatRecordedRequest, spec: ErrorSpec): void {
    const { status, type, code } = openAiError(spec);
    const headers: Record<string, string> = {};
    if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
    if (spec.retryAfterMs !== undefined) headers['retry-after-ms'] = String(spec.retryAfterMs);
    if (spec.shouldRetry !== undefined) headers['x-should-retry'] = String(spec.shouldRetry);
    sendError(res, record, new HttpError(status, type, spec.message, 'error', null, code), headers);
  }

  function buildCompletion(
    body: ChatRequestBody,
    blocks: ScriptedBlock[],
    accounting: PromptAccounting,
    stop: StopReason | undefined,
    override: UsageOverride | undefined,
  ): ChatCompletion {
    const text = blocks
      .filter((b) => b.type === 'text')
      .map((b) => (b as { text: string }).text)
      .join('');
    const calls = blocks.flatMap((b) =>
      b.type === 'tool_use'
        ? [
            {
              id: b.id ?? randomId('call_'),
              type: 'function' as const,
              function: { name: b.name, arguments: b.rawArguments ?? JSON.stringify(b.input) },
            },
          ]
        : [],
    );
    const simulated = {
      prompt: accounting.promptTokens,
      cached: accounting.cacheReadTokens,
      completion: tokensForChars(blocks.reduce((sum, b) => sum + outputCharsOf(b), 0)),
    };
    const prompt =
      override?.input_tokens !== undefined ||
      override?.cache_read_input_tokens !== undefined ||
      override?.cache_creation_input_tokens !== undefined
        ? (override.input_tokens ?? 0) + (override.cache_read_input_tokens ?? 0) + (override.cache_creation_input_tokens ?? 0)
        : simulated.prompt;
    const cached = override?.cache_read_input_tokens ?? (prompt === simulated.prompt ? simulated.cached : 0);
    const completion = override?.output_tokens ?? simulated.completion;
    return {
      id: randomId('chatcmpl-'),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'unknown',
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text === '' && calls.length > 0 ? null : text,
            refusal: null,
            annotations: [],
            ...(calls.length ? { tool_calls: calls } : {}),
          },
          logprobs: null,
          finish_reason: finishReasonOf(stop, calls.length > 0),
        },
      ],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    };
  }

  function startStream(res: ServerResponse, record: ChatRecordedRequest): void {
    record.status = 200;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': record.requestId,
    });
  }

  async function writeChunks(res: ServerResponse, list: Array<Record<string, unknown>>, timing: TurnTiming): Promise<boolean> {
    for (let i = 0; i < list.length; i++) {
      if (i > 0) await sleep(timing.eventDelayMs ?? 0);
      if (!(await writeFrame(res, `data: ${JSON.stringify(list[i])}\n\n`))) return false;
    }
    return true;
  }

  async function serve(res: ServerResponse, record: ChatRecordedRequest, completion: ChatCompletion, timing: TurnTiming): Promise<void> {
    const report = opts.reportUsage ?? true;
    if (!record.stream) {
      const { usage, ...rest } = completion;
      sendJson(res, record, 200, report ? completion : rest);
      return;
    }
    startStream(res, record);
    const ok =
      (await writeChunks(res, streamChunks(completion, record.includeUsage && report), timing)) &&
      (await writeFrame(res, 'data: [DONE]\n\n'));
    if (ok) res.end();
    else record.outcome = 'client_gone';
  }

  async function serveTruncated(
    res: ServerResponse,
    record: ChatRecordedRequest,
    completion: ChatCompletion,
    turn: TruncateTurn,
  ): Promise<void> {
    record.outcome = 'truncated';
    if (clientGone(res)) return;
    if (record.stream) {
      startStream(res, record);
      const list = streamChunks(completion, false);
      // Through the first piece of content (text or arguments), unless the turn says otherwise.
      const carries = (c: Record<string, unknown>) => {
        const delta = (c.choices as Array<{ delta: { content?: string; tool_calls?: Array<{ function?: { arguments?: string } }> } }>)[0]
          ?.delta;
        return Boolean(delta?.content) || Boolean(delta?.tool_calls?.some((t) => t.function?.arguments));
      };
      const first = list.findIndex(carries);
      const keep = turn.afterEvents ?? (first >= 0 ? first + 1 : 1);
      await writeChunks(res, list.slice(0, Math.min(keep, list.length - 1)), turn);
    } else {
      record.status = 200;
      const text = JSON.stringify(completion);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        'x-request-id': record.requestId,
      });
      await new Promise<void>((resolve) => res.write(text.slice(0, Math.floor(text.length / 2)), () => resolve()));
    }
    res.socket?.destroy();
  }

  async function handleCompletions(res: ServerResponse, record: ChatRecordedRequest): Promise<void> {
    const body = validate(record.body, strict);
    const view = messagesViewOf(body);
    record.view = view;
    const input = matchInputOf(view);
    const found = scenarios.find((s) => scenarioMatches(s.scenario, input));
    if (found === undefined) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `fake model: no scenario matched this request (system: "${excerpt(input.system)}", first user message: "${excerpt(input.firstUserText)}", user: ${JSON.stringify(input.metadataUserId ?? null)})`,
        'unmatched',
      );
    }
    const role = roleOf(view);
    record.scenario = found.name;
    record.role = role ?? NO_ROLE;
    record.turnIndex = turnIndexOf(view);
    const turns: Turn[] | undefined = turnsFor(found.scenario, role);
    if (turns === undefined) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `fake model: scenario "${found.name}" has no turns for role "${record.role}" and no default`,
        'unmatched',
      );
    }
    const key = `${found.name}\u0000${record.role}\u0000${record.turnIndex}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    record.attempt = attempt;

    const scripted = turns[record.turnIndex];
    const resolved = resolveTurn(scripted, attempt, input);
    await sleep(resolved.timing.delayMs ?? 0);
    if (clientGone(res)) {
      record.outcome = 'client_gone';
      return;
    }
    if (resolved.kind === 'error') {
      sendScripted(res, record, resolved.error);
      return;
    }
    const enabled = (opts.cache ?? true) && (found.scenario.cache ?? true);
    const accounting = cache.account(view, { enabled, commit: true });
    record.accounting = accounting;
    if (resolved.kind === 'truncate') {
      const completion = buildCompletion(body, resolved.turn.content ?? TRUNCATED_CONTENT, accounting, undefined, undefined);
      record.response = completion;
      record.usage = completion.usage;
      await serveTruncated(res, record, completion, resolved.turn);
      return;
    }
    const completion = buildCompletion(body, resolved.turn.content, accounting, resolved.turn.stopReason, resolved.turn.usage);
    record.response = completion;
    record.usage = completion.usage;
    record.outcome = scripted === undefined ? 'exhausted' : 'reply';
    await serve(res, record, completion, resolved.turn);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const headers = headersOf(req);
    const record: ChatRecordedRequest = {
      seq: ++seq,
      requestId: randomId('req_'),
      method: req.method ?? 'GET',
      path,
      headers,
      apiKey: /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1],
      body: undefined,
      stream: false,
      includeUsage: false,
      outcome: 'pending',
    };
    requests.push(record);
    try {
      const raw = await readBody(req);
      if (raw !== '') {
        try {
          record.body = JSON.parse(raw) as ChatRequestBody;
        } catch {
          throw invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
          );
        }
      }
      record.stream = record.body?.stream === true;
      record.includeUsage = record.stream && record.body?.stream_options?.include_usage === true;
      if (opts.requireApiKey !== undefined && record.apiKey !== opts.requireApiKey) {
        throw new HttpError(
          401,
          'invalid_request_error',
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
          'unauthorized',
          null,
          'invalid_api_key',
        );
      }
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        await handleCompletions(res, record);
      } else if (req.method === 'GET' && path === '/v1/models') {
        record.outcome = 'models';
        sendJson(res, record, 200, {
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 1_735_689_600, owned_by: 'fake' })),
        });
      } else if (req.method === 'GET' && path.startsWith('/v1/models/') && models.includes(decodeURIComponent(path.slice(11)))) {
        record.outcome = 'models';
        sendJson(res, record, 200, { id: decodeURIComponent(path.slice(11)), object: 'model', created: 1_735_689_600, owned_by: 'fake' });
      } else {
        throw new HttpError(404, 'invalid_request_error', `Invalid URL (${req.method ?? ''} ${path})`, 'not_found');
      }
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, record, err);
        return;
      }
      sendError(
        res,
        record,
        new HttpError(500, 'server_error', `fake model crashed: ${err instanceof Error ? err.message : String(err)}`, 'error'),
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    port: address.port,
    requests,
    completionRequests: () => requests.filter((r) => r.path === '/v1/chat/completions'),
    addScenario(scenario: Scenario): string {
      scenarioCounter += 1;
      const name = scenario.name ?? `scenario-${scenarioCounter}`;
      if (scenarios.some((s) => s.name === name)) throw new Error(`fake model: scenario "${name}" already added`);
      scenarios.push({ name, scenario });
      return name;
    },
    reset(): void {
      scenarios.length = 0;
      requests.length = 0;
      attempts.clear();
      cache.clear();
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
