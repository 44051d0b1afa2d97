import { digest, tokensForChars, type CacheControl, type MessagesRequestBody, type RequestBlock } from './scenario';

/** Usage block the fake reports, shaped like the Messages API `usage`. */
export interface SimulatedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard';
}

/** Input-side accounting of one request, before output tokens are known. */
export interface PromptAccounting {
  /** Estimated tokens of the whole prompt (tools + system + messages). */
  promptTokens: number;
  /** Tokens up to and including the last cache breakpoint (0 when nothing is marked). */
  cacheablePrefixTokens: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  cacheCreation5mTokens: number;
  cacheCreation1hTokens: number;
}

interface Segment {
  /** Identity of the block for prefix hashing, without its cache marker. */
  key: string;
  chars: number;
  marker: CacheControl | undefined;
}

interface CacheEntry {
  expiresAt: number;
  ttlMs: number;
}

const FIVE_MINUTES_MS = 5 * 60 * 1000;
const ONE_HOUR_MS = 60 * 60 * 1000;
/** The API looks for earlier cache entries at most this many blocks before each breakpoint. */
const LOOKBACK_BLOCKS = 20;

function withoutMarker<T extends { cache_control?: unknown }>(value: T): Omit<T, 'cache_control'> {
  const { cache_control: _ignored, ...rest } = value;
  return rest;
}

function markerOf(value: { cache_control?: CacheControl | null }): CacheControl | undefined {
  return value.cache_control?.type === 'ephemeral' ? value.cache_control : undefined;
}

function ttlMs(marker: CacheControl | undefined): number {
  return marker?.ttl === '1h' ? ONE_HOUR_MS : FIVE_MINUTES_MS;
}

function blockChars(block: RequestBlock): number {
  switch (block.type) {
    case 'text':
      return (block.text ?? '').length;
    case 'tool_use':
      return String(block['name'] ?? '').length + JSON.stringify(block.input ?? {}).length;
    case 'tool_result': {
      const content = block.content;
      if (content === undefined) return 0;
      if (typeof content === 'string') return content.length;
      return content.reduce((sum, b) => sum + blockChars(b), 0);
    }
    default:
      return JSON.stringify(withoutMarker(block)).length;
  }
}

/** Flatten a request into prompt blocks in the API's cache order: tools, system, messages. */
function segmentsOf(body: MessagesRequestBody): Segment[] {
  const segments: Segment[] = [];
  for (const tool of body.tools ?? []) {
    const key = JSON.stringify(withoutMarker(tool));
    segments.push({ key: `tool:${key}`, chars: key.length, marker: markerOf(tool as { cache_control?: CacheControl }) });
  }
  const system = body.system;
  if (typeof system === 'string') {
    if (system !== '') segments.push({ key: `system:${system}`, chars: system.length, marker: undefined });
  } else if (system !== undefined) {
    for (const block of system) {
      segments.push({ key: `system:${JSON.stringify(withoutMarker(block))}`, chars: blockChars(block), marker: markerOf(block) });
    }
  }
  (body.messages ?? []).forEach((message, i) => {
    if (typeof message.content === 'string') {
      segments.push({ key: `m${i}:${message.role}:${message.content}`, chars: message.content.length, marker: undefined });
      return;
    }
    for (const block of message.content) {
      segments.push({
        key: `m${i}:${message.role}:${JSON.stringify(withoutMarker(block))}`,
        chars: blockChars(block),
        marker: markerOf(block),
      });
    }
  });
  // A top-level cache_control asks the API to place the breakpoint on the last block itself.
  const automatic = body.cache_control?.type === 'ephemeral' ? body.cache_control : undefined;
  const last = segments[segments.length - 1];
  if (automatic !== undefined && last !== undefined && last.marker === undefined) last.marker = automatic;
  return segments;
}

/**
 * Simulated prompt cache: remembers prefix hashes written at cache breakpoints, with the
 * breakpoint's TTL, and prices each request as read / creation / uncached input tokens.
 */
export class PromptCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly now: () => number) {}

  /** Forget every cached prefix. */
  clear(): void {
    this.entries.clear();
  }

  /** Prompt size estimate without touching the cache (what `count_tokens` answers). */
  static promptTokens(body: MessagesRequestBody): number {
    return tokensForChars(segmentsOf(body).reduce((sum, s) => sum + s.chars, 0));
  }

  /**
   * Price a request. With `commit`, the prefixes at its breakpoints are written (or their TTL
   * refreshed) the way a served request would; with `enabled` false nothing is read or written.
   */
  account(body: MessagesRequestBody, opts: { enabled: boolean; commit: boolean }): PromptAccounting {
    const segments = segmentsOf(body);
    const cumulativeChars: number[] = [];
    const hashes: string[] = [];
    let chars = 0;
    let hash = digest(`model:${body.model ?? ''}`);
    for (const segment of segments) {
      chars += segment.chars;
      hash = digest(`${hash}\n${segment.key}`);
      cumulativeChars.push(chars);
      hashes.push(hash);
    }
    const promptTokens = tokensForChars(chars);
    const tokensThrough = (index: number): number => (index < 0 ? 0 : tokensForChars(cumulativeChars[index] ?? 0));

    const breakpoints = segments.flatMap((s, i) => (s.marker === undefined ? [] : [i]));
    const lastBreakpoint = breakpoints[breakpoints.length - 1];
    if (!opts.enabled || lastBreakpoint === undefined) {
      return {
        promptTokens,
        cacheablePrefixTokens: lastBreakpoint === undefined ? 0 : tokensThrough(lastBreakpoint),
        inputTokens: promptTokens,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        cacheCreation5mTokens: 0,
        cacheCreation1hTokens: 0,
      };
    }

    const now = this.now();
    let readIndex = -1;
    for (const bp of breakpoints) {
      for (let i = bp; i >= Math.max(0, bp - LOOKBACK_BLOCKS) && i > readIndex; i--) {
        const entry = this.entries.get(hashes[i] ?? '');
        if (entry !== undefined && entry.expiresAt > now) {
          readIndex = i;
          break;
        }
      }
    }

    const cacheReadTokens = tokensThrough(readIndex);
    let creation5m = 0;
    let creation1h = 0;
    let previous = readIndex;
    for (const bp of breakpoints) {
      if (bp <= previous) continue;
      const created = tokensThrough(bp) - tokensThrough(previous);
      if (ttlMs(segments[bp]?.marker) === ONE_HOUR_MS) creation1h += created;
      else creation5m += created;
      previous = bp;
    }

    if (opts.commit) {
      if (readIndex >= 0) {
        const entry = this.entries.get(hashes[readIndex] ?? '');
        if (entry !== undefined) entry.expiresAt = now + entry.ttlMs;
      }
      for (const bp of breakpoints) {
        const ttl = ttlMs(segments[bp]?.marker);
        this.entries.set(hashes[bp] ?? '', { expiresAt: now + ttl, ttlMs: ttl });
      }
    }

    const prefixTokens = tokensThrough(lastBreakpoint);
    return {
      promptTokens,
      cacheablePrefixTokens: prefixTokens,
      inputTokens: promptTokens - prefixTokens,
      cacheReadTokens,
      cacheCreationTokens: creation5m + creation1h,
      cacheCreation5mTokens: creation5m,
      cacheCreation1hTokens: creation1h,
    };
  }
}
