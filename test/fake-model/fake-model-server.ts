import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PromptCache, type PromptAccounting, type SimulatedUsage } from './prompt-cache';
import {
  NO_ROLE,
  TRUNCATED_CONTENT,
  contentText,
  matchInputOf,
  outputChars,
  resolveTurn,
  roleOf,
  scenarioMatches,
  systemText,
  tokensForChars,
  turnIndexOf,
  turnsFor,
  type ApiErrorType,
  type ErrorSpec,
  type MessagesRequestBody,
  type RequestBlock,
  type Scenario,
  type ScriptedBlock,
  type StopReason,
  type TruncateTurn,
  type Turn,
  type TurnTiming,
  type UsageOverride,
} from './scenario';
import { chunks, clientGone, excerpt, headerValue, randomId, readBody, sleep } from './wire';

export type { SimulatedUsage } from './prompt-cache';

/** Options of {@link startFakeModel}. */
export interface FakeModelOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; defaults to 127.0.0.1. */
  host?: string;
  /** When set, any request whose `x-api-key` (or bearer token) differs gets a 401. */
  requireApiKey?: string;
  /** Set to false to disable the simulated prompt cache for every scenario. */
  cache?: boolean;
  /**
   * Reject requests the real API rejects for malformed transcripts (orphaned `tool_use` /
   * `tool_result` pairs, empty content); true by default.
   */
  strict?: boolean;
  /** Clock for cache TTLs, so tests can step past the 5-minute expiry. */
  now?: () => number;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

/** What the fake did with a request. */
export type RequestOutcome =
  | 'pending'
  | 'reply'
  | 'exhausted'
  | 'error'
  | 'truncated'
  | 'unmatched'
  | 'invalid'
  | 'unauthorized'
  | 'count_tokens'
  | 'models'
  | 'not_found'
  | 'client_gone';

/** An assistant message as the fake serves it. */
export interface FakeMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }>;
  stop_reason: StopReason;
  stop_sequence: null;
  stop_details: null;
  container: null;
  usage: SimulatedUsage;
}

/** One request the fake received, filled in as it is answered. */
export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  /** The `request-id` header the fake answered with. */
  requestId: string;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Request headers, lower-cased names. */
  headers: Record<string, string>;
  /** `x-api-key`, or the token of `authorization: Bearer ...`. */
  apiKey: string | undefined;
  anthropicVersion: string | undefined;
  /** Parsed JSON body (undefined for GETs and unparseable bodies). */
  body: MessagesRequestBody | undefined;
  stream: boolean;
  scenario?: string;
  /** Role read from the system prompt (`(none)` when absent). */
  role?: string;
  /** Script position: the number of assistant messages in the request. */
  turnIndex?: number;
  /** How many times this (scenario, role, index) position has been requested, this one included. */
  attempt?: number;
  outcome: RequestOutcome;
  status?: number;
  /** Error body `error` sent, if any. */
  error?: { type: ApiErrorType; message: string };
  /** Usage reported to the client (or that would have been, for a truncated reply). */
  usage?: SimulatedUsage;
  /** Input-side accounting behind `usage`, including the whole-prompt estimate. */
  accounting?: PromptAccounting;
  /** The reply served (or cut off). */
  response?: FakeMessage;
}

/** A running fake Messages API. */
export interface FakeModel {
  /** Base URL for the SDK's `baseURL` (no trailing slash, no `/v1`). */
  readonly url: string;
  readonly port: number;
  /** Every request received since start or the last {@link FakeModel.reset}, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Only the `POST /v1/messages` requests. */
  messageRequests(): RecordedRequest[];
  /** Register a scenario (scenarios are tried in the order added); returns its name. */
  addScenario(scenario: Scenario): string;
  /** Drop scenarios, recorded requests, failure counters and the prompt cache. */
  reset(): void;
  /** Stop listening and cut any open connections. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-opus-5-5'];
const STREAM_CHUNK_CHARS = 24;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly outcome: RequestOutcome,
  ) {
    super(message);
  }
}

/** Problems the real API reports for a malformed transcript, as `messages.N...` error messages. */
function transcriptProblem(body: MessagesRequestBody): string | undefined {
  const messages = body.messages ?? [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const isFinalAssistant = i === messages.length - 1 && message.role === 'assistant';
    const blocks: RequestBlock[] = typeof message.content === 'string' ? [] : message.content;
    if (!isFinalAssistant) {
      const empty = typeof message.content === 'string' ? message.content === '' : message.content.length === 0;
      if (empty) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      const blankText = blocks.findIndex((b) => b.type === 'text' && (b.text ?? '') === '');
      if (blankText >= 0) return `messages.${i}.content.${blankText}.text: text content blocks must be non-empty`;
    }
    if (message.role === 'assistant' && i < messages.length - 1) {
      const ids = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id ?? '');
      const next = messages[i + 1]!;
      const answered = new Set(
        next.role === 'user' && typeof next.content !== 'string'
          ? next.content.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id)
          : [],
      );
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
    if (message.role === 'user') {
      const previous = messages[i - 1];
      const offered = new Set(
        previous?.role === 'assistant' && typeof previous.content !== 'string'
          ? previous.content.filter((b) => b.type === 'tool_use').map((b) => b.id)
          : [],
      );
      for (let k = 0; k < blocks.length; k++) {
        const block = blocks[k]!;
        if (block.type === 'tool_result' && !offered.has(block.tool_use_id)) {
          return `messages.${i}.content.${k}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id ?? ''}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
  }
  return undefined;
}

function validateMessagesBody(body: MessagesRequestBody | undefined, strict: boolean): MessagesRequestBody {
  if (body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request_error', 'request body must be a JSON object', 'invalid');
  }
  if (typeof body.model !== 'string' || body.model === '') {
    throw new HttpError(400, 'invalid_request_error', 'model: Field required', 'invalid');
  }
  if (!Array.isArray(body.messages)) {
    throw new HttpError(400, 'invalid_request_error', 'messages: Field required', 'invalid');
  }
  if (strict) {
    const problem = transcriptProblem(body);
    if (problem !== undefined) throw new HttpError(400, 'invalid_request_error', problem, 'invalid');
    const choice = body.tool_choice as { type?: string; name?: string } | undefined;
    if (choice?.type === 'tool' && !(body.tools ?? []).some((t) => t.name === choice.name)) {
      throw new HttpError(
        400,
        'invalid_request_error',
        `tool_choice: tool ${JSON.stringify(choice.name)} is not among the request's tools`,
        'invalid',
      );
    }
  }
  return body;
}

function sseFrame(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The SSE events of a served message, in the order the API sends them. */
function streamEvents(message: FakeMessage): Array<{ type: string } & Record<string, unknown>> {
  const events: Array<{ type: string } & Record<string, unknown>> = [];
  events.push({
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
  });
  events.push({ type: 'ping' });
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of chunks(block.text, STREAM_CHUNK_CHARS)) {
        events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      }
    } else {
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of chunks(JSON.stringify(block.input), STREAM_CHUNK_CHARS)) {
        events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
      }
    }
    events.push({ type: 'content_block_stop', index });
  });
  const { input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens } = message.usage;
  events.push({
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/**
 * Start a fake Anthropic Messages API on a real HTTP port. Requests are answered from
 * scenarios registered with {@link FakeModel.addScenario}; see README.md for the format.
 */
export async function startFakeModel(opts: FakeModelOptions = {}): Promise<FakeModel> {
  const strict = opts.strict ?? true;
  const now = opts.now ?? Date.now;
  const models = opts.models ?? DEFAULT_MODELS;
  const cache = new PromptCache(now);
  const scenarios: Array<{ name: string; scenario: Scenario }> = [];
  const requests: RecordedRequest[] = [];
  const attempts = new Map<string, number>();
  let scenarioCounter = 0;
  let seq = 0;

  function sendJson(res: ServerResponse, record: RecordedRequest, status: number, payload: unknown): void {
    record.status = status;
    if (clientGone(res)) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'request-id': record.requestId,
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, record: RecordedRequest, spec: ErrorSpec, outcome: RequestOutcome): void {
    record.outcome = outcome;
    record.status = spec.status;
    record.error = { type: spec.type, message: spec.message };
    if (clientGone(res)) return;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': record.requestId };
    if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
    if (spec.retryAfterMs !== undefined) headers['retry-after-ms'] = String(spec.retryAfterMs);
    if (spec.shouldRetry !== undefined) headers['x-should-retry'] = String(spec.shouldRetry);
    const text = JSON.stringify({
      type: 'error',
      error: { type: spec.type, message: spec.message },
      request_id: record.requestId,
    });
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(spec.status, headers);
    res.end(text);
  }

  function buildMessage(
    body: MessagesRequestBody,
    blocks: ScriptedBlock[],
    accounting: PromptAccounting,
    stopReason: StopReason | undefined,
    override: UsageOverride | undefined,
  ): FakeMessage {
    const content = blocks.map((b) =>
      b.type === 'text'
        ? { type: 'text' as const, text: b.text }
        : { type: 'tool_use' as const, id: b.id ?? randomId('toolu_'), name: b.name, input: b.input },
    );
    const usage: SimulatedUsage = {
      input_tokens: accounting.inputTokens,
      output_tokens: tokensForChars(blocks.reduce((sum, b) => sum + outputChars(b), 0)),
      cache_creation_input_tokens: accounting.cacheCreationTokens,
      cache_read_input_tokens: accounting.cacheReadTokens,
      cache_creation: {
        ephemeral_5m_input_tokens: accounting.cacheCreation5mTokens,
        ephemeral_1h_input_tokens: accounting.cacheCreation1hTokens,
      },
      service_tier: 'standard',
      ...override,
    };
    return {
      id: randomId('msg_'),
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'unknown',
      content,
      stop_reason: stopReason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage,
    };
  }

  async function writeEvents(res: ServerResponse, events: Array<{ type: string }>, timing: TurnTiming): Promise<boolean> {
    for (let i = 0; i < events.length; i++) {
      if (clientGone(res)) return false;
      if (i > 0) await sleep(timing.eventDelayMs ?? 0);
      if (clientGone(res)) return false;
      await new Promise<void>((resolve) => res.write(sseFrame(events[i]!), () => resolve()));
    }
    return !clientGone(res);
  }

  function startStream(res: ServerResponse, record: RecordedRequest): void {
    record.status = 200;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': record.requestId,
    });
  }

  async function serveMessage(res: ServerResponse, record: RecordedRequest, message: FakeMessage, timing: TurnTiming): Promise<void> {
    if (!record.stream) {
      sendJson(res, record, 200, message);
      return;
    }
    startStream(res, record);
    if (await writeEvents(res, streamEvents(message), timing)) res.end();
    else record.outcome = 'client_gone';
  }

  async function serveTruncated(res: ServerResponse, record: RecordedRequest, message: FakeMessage, turn: TruncateTurn): Promise<void> {
    record.outcome = 'truncated';
    if (clientGone(res)) return;
    if (record.stream) {
      startStream(res, record);
      const events = streamEvents(message);
      const firstDelta = events.findIndex((e) => e.type === 'content_block_delta');
      const keep = turn.afterEvents ?? (firstDelta >= 0 ? firstDelta + 1 : 2);
      await writeEvents(res, events.slice(0, Math.min(keep, events.length - 1)), turn);
    } else {
      record.status = 200;
      const text = JSON.stringify(message);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'request-id': record.requestId,
      });
      await new Promise<void>((resolve) => res.write(text.slice(0, Math.floor(text.length / 2)), () => resolve()));
    }
    res.socket?.destroy();
  }

  function findScenario(body: MessagesRequestBody): { name: string; scenario: Scenario } | undefined {
    const input = matchInputOf(body);
    return scenarios.find((s) => scenarioMatches(s.scenario, input));
  }

  async function handleMessages(res: ServerResponse, record: RecordedRequest, raw: MessagesRequestBody | undefined): Promise<void> {
    const body = validateMessagesBody(raw, strict);
    const found = findScenario(body);
    if (found === undefined) {
      const input = matchInputOf(body);
      throw new HttpError(
        400,
        'invalid_request_error',
        `fake model: no scenario matched this request (system: "${excerpt(input.system)}", first user message: "${excerpt(input.firstUserText)}", metadata.user_id: ${JSON.stringify(input.metadataUserId ?? null)})`,
        'unmatched',
      );
    }
    const role = roleOf(body);
    const turns = turnsFor(found.scenario, role);
    record.scenario = found.name;
    record.role = role ?? NO_ROLE;
    record.turnIndex = turnIndexOf(body);
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

    const scripted: Turn | undefined = turns[record.turnIndex];
    const resolved = resolveTurn(scripted, attempt, matchInputOf(body));
    await sleep(resolved.timing.delayMs ?? 0);
    if (clientGone(res)) {
      record.outcome = 'client_gone';
      return;
    }
    if (resolved.kind === 'error') {
      sendError(res, record, resolved.error, 'error');
      return;
    }

    const cacheEnabled = (opts.cache ?? true) && (found.scenario.cache ?? true);
    const accounting = cache.account(body, { enabled: cacheEnabled, commit: true });
    record.accounting = accounting;
    if (resolved.kind === 'truncate') {
      const message = buildMessage(body, resolved.turn.content ?? TRUNCATED_CONTENT, accounting, undefined, undefined);
      record.response = message;
      record.usage = message.usage;
      await serveTruncated(res, record, message, resolved.turn);
      return;
    }
    const { content, stopReason, usage } = resolved.turn;
    const message = buildMessage(body, content, accounting, stopReason, usage);
    record.response = message;
    record.usage = message.usage;
    record.outcome = scripted === undefined ? 'exhausted' : 'reply';
    await serveMessage(res, record, message, resolved.turn);
  }

  function handleCountTokens(res: ServerResponse, record: RecordedRequest, raw: MessagesRequestBody | undefined): void {
    const body = validateMessagesBody(raw, strict);
    record.outcome = 'count_tokens';
    sendJson(res, record, 200, { input_tokens: PromptCache.promptTokens(body) });
  }

  function modelInfo(id: string) {
    return {
      type: 'model',
      id,
      display_name: `Fake ${id}`,
      created_at: '2025-01-01T00:00:00Z',
      capabilities: null,
      deprecated_at: null,
      lifecycle: 'active',
      line: null,
      max_input_tokens: 200_000,
      max_tokens: 64_000,
      retires_at: null,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      const v = headerValue(value);
      if (v !== undefined) headers[name] = v;
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1];
    const record: RecordedRequest = {
      seq: ++seq,
      requestId: randomId('req_'),
      method: req.method ?? 'GET',
      path,
      headers,
      apiKey: headers['x-api-key'] ?? bearer,
      anthropicVersion: headers['anthropic-version'],
      body: undefined,
      stream: false,
      outcome: 'pending',
    };
    requests.push(record);

    try {
      const raw = await readBody(req);
      if (raw !== '') {
        try {
          record.body = JSON.parse(raw) as MessagesRequestBody;
        } catch {
          throw new HttpError(400, 'invalid_request_error', 'request body is not valid JSON', 'invalid');
        }
      }
      record.stream = record.body?.stream === true;

      if (opts.requireApiKey !== undefined && record.apiKey !== opts.requireApiKey) {
        throw new HttpError(401, 'authentication_error', 'invalid x-api-key', 'unauthorized');
      }

      if (req.method === 'POST' && path === '/v1/messages') {
        await handleMessages(res, record, record.body);
      } else if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        handleCountTokens(res, record, record.body);
      } else if (req.method === 'GET' && path === '/v1/models') {
        record.outcome = 'models';
        const data = models.map(modelInfo);
        sendJson(res, record, 200, {
          data,
          has_more: false,
          first_id: data[0]?.id ?? null,
          last_id: data[data.length - 1]?.id ?? null,
        });
      } else if (req.method === 'GET' && path.startsWith('/v1/models/') && models.includes(decodeURIComponent(path.slice(11)))) {
        record.outcome = 'models';
        sendJson(res, record, 200, modelInfo(decodeURIComponent(path.slice(11))));
      } else {
        throw new HttpError(404, 'not_found_error', `Not Found: ${req.method ?? ''} ${path}`, 'not_found');
      }
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, record, { status: err.status, type: err.type, message: err.message }, err.outcome);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      sendError(res, record, { status: 500, type: 'api_error', message: `fake model crashed: ${message}` }, 'error');
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
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
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    messageRequests: () => requests.filter((r) => r.path === '/v1/messages'),
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

/** Text of everything a request sent, for ad-hoc assertions on what the runtime put in the prompt. */
export function requestText(record: RecordedRequest): string {
  const body = record.body;
  if (body === undefined) return '';
  return [systemText(body.system), ...(body.messages ?? []).map((m) => contentText(m.content))].join('\n');
}
