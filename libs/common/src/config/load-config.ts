import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllowList } from '../repo-access/repo-allow-list';
import { repositoryAccessOf } from '../repo-access/repository-access';
import { weakKeyReason } from '../security/key-strength';
import {
  AppConfig,
  ESCALATION_MODES,
  GITHUB_ASSOCIATIONS,
  JOB_MODES,
  JobCaps,
  JobMode,
  LOG_LEVELS,
  MODEL_PROVIDERS,
  ModelPrice,
  OPENAI_MAX_TOKENS_PARAMS,
  OpenAiMaxTokensParam,
  PROCESS_ROLES,
  RateLimit,
  isLoopback,
} from './app-config';

/** Where OPENAI_BASE_URL points when unset: OpenAI's own API. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Prices (USD per million tokens) of the models the service knows; MODEL_PRICES adds or overrides. */
// Keys are model families: a model is priced by the longest key its name starts with.
export const DEFAULT_MODEL_PRICES: Record<string, ModelPrice> = {
  'claude-haiku': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  'claude-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-opus': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
};

/** Thrown when the environment holds values the service cannot start with; lists every bad key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(key: string, fallback?: string): string | undefined {
    const value = this.env[key];
    return value === undefined || value === '' ? fallback : value;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const raw = this.string(key);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${key}: must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T, raw = this.string(key)): T {
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${key}: must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  listOf<T extends string>(key: string, allowed: readonly T[], fallback: T[]): T[] {
    const raw = this.string(key);
    if (raw === undefined) return fallback;
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (items.length === 0 || bad.length > 0) {
      this.problems.push(`${key}: must be a comma-separated list of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return items as T[];
  }

  hexKey(key: string): string | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    if (!/^[0-9a-fA-F]{64}$/.test(raw)) {
      this.problems.push(`${key}: must be 64 hex characters (a 32-byte Ed25519 secret key; make one with openssl rand -hex 32)`);
      return undefined;
    }
    const weak = weakKeyReason(raw.toLowerCase());
    if (weak) {
      this.problems.push(`${key}: is a weak key (${weak}); make a random one with openssl rand -hex 32`);
      return undefined;
    }
    return raw.toLowerCase();
  }

  file(key: string, cwd: string): string | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    const path = resolve(cwd, raw);
    if (!existsSync(path)) {
      this.problems.push(`${key}: no file at ${path}`);
      return undefined;
    }
    return path;
  }

  fraction(key: string): number | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      this.problems.push(`${key}: must be a number from 0 to 1 (got "${raw}")`);
      return undefined;
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const raw = this.string(key);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${key}: must be true or false (got "${raw}")`);
    return fallback;
  }

  /** `{"model-prefix": {input, output, cacheWrite?, cacheRead?}}`; a missing cache price is the input price (no discount). */
  prices(key: string): Record<string, ModelPrice> {
    const raw = this.string(key);
    if (raw === undefined) return {};
    try {
      const parsed = JSON.parse(raw) as Record<string, Partial<ModelPrice>>;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      const valid = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
      const prices: Record<string, ModelPrice> = {};
      for (const [model, price] of Object.entries(parsed)) {
        if (model === '' || !valid(price?.input) || !valid(price?.output)) throw new Error(model);
        if ((price.cacheWrite !== undefined && !valid(price.cacheWrite)) || (price.cacheRead !== undefined && !valid(price.cacheRead)))
          throw new Error(model);
        const { input, output } = price as { input: number; output: number };
        prices[model] = { input, output, cacheWrite: price.cacheWrite ?? input, cacheRead: price.cacheRead ?? input };
      }
      return prices;
    } catch {
      this.problems.push(
        `${key}: must be JSON like {"model-name": {"input": 3, "output": 15, "cacheWrite": 3.75, "cacheRead": 0.3}} (USD per million tokens; cacheWrite and cacheRead default to input)`,
      );
      return {};
    }
  }

  rateLimit(key: string, fallback: RateLimit): RateLimit {
    const raw = this.string(key);
    if (raw === undefined) return fallback;
    const match = /^\s*(\d{1,7})\s*\/\s*(\d{1,6})\s*$/.exec(raw);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
      this.problems.push(`${key}: must be "requests/window-seconds" like "120/60" (got "${raw}")`);
      return fallback;
    }
    return { limit: Number(match[1]), windowSeconds: Number(match[2]) };
  }

  /** An inclusive range of user ids like "100000-165535"; never 0 (root) nor 4294967295 (the kernel's "no id"). */
  idRange(key: string, fallback: { first: number; last: number }): { first: number; last: number } {
    const raw = this.string(key);
    if (raw === undefined) return fallback;
    const match = /^\s*(\d{1,10})\s*-\s*(\d{1,10})\s*$/.exec(raw);
    const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!(first >= 1 && first <= last && last <= 4_294_967_294)) {
      this.problems.push(`${key}: must be a range of user ids like "100000-165535" (from 1 to 4294967294, first <= last; got "${raw}")`);
      return fallback;
    }
    return { first, last };
  }

  secret(key: string, minLength: number): string | undefined {
    const raw = this.string(key);
    if (raw !== undefined && raw.length < minLength) {
      this.problems.push(`${key}: must be at least ${minLength} characters`);
      return undefined;
    }
    return raw;
  }

  trustProxy(key: string): boolean | number | string {
    const raw = this.string(key);
    if (raw === undefined || ['false', '0', 'no'].includes(raw)) return false;
    if (['true', 'yes'].includes(raw)) return true;
    if (/^\d{1,2}$/.test(raw)) return Number(raw);
    if (/^[\w.:/]+(\s*,\s*[\w.:/]+)*$/.test(raw)) return raw;
    this.problems.push(`${key}: must be true, false, a hop count, or a comma-separated list of proxy addresses (got "${raw}")`);
    return false;
  }

  origins(key: string): string[] {
    const raw = this.string(key);
    if (raw === undefined) return [];
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((item) => {
      try {
        const url = new URL(item);
        return !['http:', 'https:'].includes(url.protocol) || url.origin !== item.replace(/\/$/, '');
      } catch {
        return true;
      }
    });
    if (bad.length > 0) {
      this.problems.push(`${key}: must be a comma-separated list of origins like https://app.example.com (bad: ${bad.join(', ')})`);
      return [];
    }
    return items.map((item) => item.replace(/\/$/, ''));
  }

  repoMap(key: string): Record<string, string> {
    const raw = this.string(key);
    if (raw === undefined) return {};
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      for (const [name, target] of Object.entries(parsed)) {
        if (!/^[\w.-]+\/[\w.-]+$/.test(name) || typeof target !== 'string' || target === '') throw new Error(name);
      }
      return parsed as Record<string, string>;
    } catch {
      this.problems.push(`${key}: must be JSON like {"owner/name": "/srv/repos/name"} (a server path or URL per repository)`);
      return {};
    }
  }

  repoAllow(key: string): string[] | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    const { entries, problems } = parseAllowList(raw);
    for (const problem of problems) this.problems.push(`${key}: ${problem}`);
    return entries.map((entry) => entry.source);
  }

  /** Comma-separated GitHub logins, compared case-insensitively (so kept in lower case). */
  logins(key: string): string[] {
    const raw = this.string(key);
    if (raw === undefined) return [];
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((item) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(item));
    if (bad.length > 0) {
      this.problems.push(`${key}: must be a comma-separated list of GitHub logins like octocat or my-app[bot] (bad: ${bad.join(', ')})`);
      return [];
    }
    return items.map((item) => item.toLowerCase());
  }

  /** Caps whose every value is at most the server maximum, read from `<prefix>_STEPS`, `_TOKENS`, `_COST_CENTS`, `_WALL_MS`. */
  capsAtMost(prefix: string, fallback: JobCaps, max: JobCaps): JobCaps {
    const caps: JobCaps = {
      maxSteps: this.int(`${prefix}_STEPS`, Math.min(fallback.maxSteps, max.maxSteps), 1, 100_000),
      maxTokens: this.int(`${prefix}_TOKENS`, Math.min(fallback.maxTokens, max.maxTokens), 1, 1_000_000_000),
      maxCostCents: this.int(`${prefix}_COST_CENTS`, Math.min(fallback.maxCostCents, max.maxCostCents), 1, 10_000_000),
      maxWallMs: this.int(`${prefix}_WALL_MS`, Math.min(fallback.maxWallMs, max.maxWallMs), 1_000, 86_400_000),
    };
    const names: Record<keyof JobCaps, [string, string]> = {
      maxSteps: ['STEPS', 'MAX_JOB_STEPS'],
      maxTokens: ['TOKENS', 'MAX_JOB_TOKENS'],
      maxCostCents: ['COST_CENTS', 'MAX_JOB_COST_CENTS'],
      maxWallMs: ['WALL_MS', 'MAX_JOB_WALL_MS'],
    };
    for (const field of Object.keys(names) as (keyof JobCaps)[]) {
      if (caps[field] > max[field]) {
        this.problems.push(`${prefix}_${names[field][0]}: must not exceed ${names[field][1]} (${caps[field]} > ${max[field]})`);
      }
    }
    return caps;
  }

  url(key: string, protocols: string[]): string | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      this.problems.push(`${key}: must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  }
}

/** Reads `--role <api|worker|all>` (or `--role=...`) from the command line, if given. */
export function roleFromArgv(argv: string[]): string | undefined {
  const index = argv.findIndex((arg) => arg === '--role' || arg.startsWith('--role='));
  if (index < 0) return undefined;
  const arg = argv[index];
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}

/**
 * Parses and validates the environment once. Every problem is collected so the operator sees the
 * full list at once; nothing else in the code base reads `process.env`.
 */
export function loadConfig(env: Env, argv: string[] = [], cwd = process.cwd()): AppConfig {
  const r = new Reader(env);
  const argvRole = roleFromArgv(argv);
  const role = r.oneOf(argvRole !== undefined ? '--role' : 'ROLE', PROCESS_ROLES, 'all', argvRole ?? r.string('ROLE'));
  const modes = [...JOB_MODES];
  const provider = r.oneOf('MODEL_PROVIDER', MODEL_PROVIDERS, 'anthropic');
  const models: Record<JobMode, string> = {
    mechanic: r.string('MODEL_MECHANIC', 'claude-haiku-4-5')!,
    genius: r.string('MODEL_GENIUS', 'claude-sonnet-4-6')!,
  };
  const openaiBaseUrl = r.url('OPENAI_BASE_URL', ['http:', 'https:']) ?? OPENAI_DEFAULT_BASE_URL;
  if (provider === 'openai') {
    // An OpenAI-compatible endpoint serves whatever it was started with: there is no default worth guessing.
    const mechanic = r.string('MODEL_MECHANIC');
    if (mechanic === undefined) {
      r.problems.push(
        'MODEL_MECHANIC: required with MODEL_PROVIDER=openai: the model name the endpoint serves (e.g. gpt-4.1-mini, Qwen/Qwen2.5-Coder-32B-Instruct, qwen2.5-coder:14b); MODEL_GENIUS defaults to it',
      );
    }
    models.mechanic = mechanic ?? '';
    models.genius = r.string('MODEL_GENIUS') ?? models.mechanic;
  }
  const heartbeatMs = r.int('WORKER_HEARTBEAT_MS', 5_000, 50, 600_000);
  const leaseMs = r.int('WORKER_LEASE_MS', 30_000, 100, 3_600_000);
  const concurrency = r.int('WORKER_CONCURRENCY', 4, 1, 1_000);
  const host = r.string('HOST', '127.0.0.1')!;
  const authMode = r.oneOf('AUTH', ['on', 'off'] as const, 'on');
  if (authMode === 'off' && !isLoopback(host)) {
    r.problems.push(`AUTH: off is allowed only when HOST is a loopback address (127.0.0.1, ::1, localhost); HOST is "${host}"`);
  }
  if (leaseMs <= heartbeatMs) {
    r.problems.push(`WORKER_LEASE_MS: must be greater than WORKER_HEARTBEAT_MS (${leaseMs} <= ${heartbeatMs})`);
  }

  const maxCaps: JobCaps = {
    maxSteps: r.int('MAX_JOB_STEPS', 500, 1, 100_000),
    maxTokens: r.int('MAX_JOB_TOKENS', 10_000_000, 1, 1_000_000_000),
    maxCostCents: r.int('MAX_JOB_COST_CENTS', 10_000, 1, 10_000_000),
    maxWallMs: r.int('MAX_JOB_WALL_MS', 4 * 3_600_000, 1_000, 86_400_000),
  };

  const config: AppConfig = {
    port: r.int('PORT', 3000, 0, 65_535),
    host,
    role,
    dataDir: resolve(cwd, r.string('DATA_DIR', '.data')!),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    database: {
      url: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      embeddedPort: r.int('EMBEDDED_PG_PORT', 54_329, 1, 65_535),
      poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
    },
    ledger: {
      sequenceIntervalMs: r.int('LEDGER_SEQUENCE_INTERVAL_MS', 5, 1, 10_000),
      sequenceBatch: r.int('LEDGER_SEQUENCE_BATCH', 5_000, 1, 100_000),
      leaderRetryMs: r.int('LEDGER_LEADER_RETRY_MS', 1_000, 10, 600_000),
    },
    worker: {
      concurrency,
      modes: r.listOf('WORKER_MODES', JOB_MODES, modes),
      pollIntervalMs: r.int('WORKER_POLL_INTERVAL_MS', 2_000, 10, 600_000),
      leaseMs,
      heartbeatMs,
      drainTimeoutMs: r.int('WORKER_DRAIN_TIMEOUT_MS', 10_000, 0, 3_600_000),
      claimBatchSize: r.int('WORKER_CLAIM_BATCH', 8, 1, 1_000),
      localQueueSize: r.int('WORKER_LOCAL_QUEUE_SIZE', concurrency, 0, 10_000),
      localQueueTtlMs: r.int('WORKER_LOCAL_QUEUE_TTL_MS', 10_000, 100, 3_600_000),
      reaperIntervalMs: r.int('WORKER_REAPER_INTERVAL_MS', 5_000, 50, 3_600_000),
      backoffBaseMs: r.int('WORKER_BACKOFF_BASE_MS', 1_000, 0, 3_600_000),
      backoffMaxMs: r.int('WORKER_BACKOFF_MAX_MS', 300_000, 0, 86_400_000),
    },
    jobs: {
      defaultMaxAttempts: r.int('JOB_MAX_ATTEMPTS', 3, 1, 100),
      modeCaps: {
        mechanic: {
          // Sized from a realistic session (README, "Budgets"): 47 tool calls and 230k budget tokens, with room for a send-back.
          maxSteps: r.int('MECHANIC_MAX_STEPS', 60, 1, 100_000),
          maxTokens: r.int('MECHANIC_MAX_TOKENS', 400_000, 1, 1_000_000_000),
          maxCostCents: r.int('MECHANIC_MAX_COST_CENTS', 100, 1, 10_000_000),
          maxWallMs: r.int('MECHANIC_MAX_WALL_MS', 15 * 60_000, 1_000, 86_400_000),
        },
        genius: {
          maxSteps: r.int('GENIUS_MAX_STEPS', 150, 1, 100_000),
          maxTokens: r.int('GENIUS_MAX_TOKENS', 3_000_000, 1, 1_000_000_000),
          maxCostCents: r.int('GENIUS_MAX_COST_CENTS', 1_500, 1, 10_000_000),
          maxWallMs: r.int('GENIUS_MAX_WALL_MS', 60 * 60_000, 1_000, 86_400_000),
        },
      },
      maxCaps,
    },
    sse: { heartbeatMs: r.int('SSE_HEARTBEAT_MS', 15_000, 100, 600_000) },
    model: {
      provider,
      anthropic: { apiKey: r.string('ANTHROPIC_API_KEY'), baseUrl: r.url('ANTHROPIC_BASE_URL', ['http:', 'https:']) },
      openai: {
        apiKey: r.string('OPENAI_API_KEY'),
        baseUrl: openaiBaseUrl,
        // OpenAI's reasoning models refuse max_tokens; vLLM, llama.cpp and Ollama document max_tokens.
        maxTokensParam: r.oneOf<OpenAiMaxTokensParam>(
          'OPENAI_MAX_TOKENS_PARAM',
          OPENAI_MAX_TOKENS_PARAMS,
          new URL(openaiBaseUrl).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens',
        ),
      },
      models,
      maxRetries: r.int('MODEL_MAX_RETRIES', 4, 0, 20),
      timeoutMs: r.int('MODEL_TIMEOUT_MS', 600_000, 1_000, 3_600_000),
      streamIdleMs: r.int('MODEL_STREAM_IDLE_MS', 120_000, 1_000, 3_600_000),
      maxOutputTokens: r.int('MODEL_MAX_OUTPUT_TOKENS', 8_192, 256, 128_000),
      prices: { ...DEFAULT_MODEL_PRICES, ...r.prices('MODEL_PRICES') },
    },
    intake: {
      useModel: r.oneOf('INTAKE_MODEL', ['on', 'off'] as const, 'on') === 'on',
      timeoutMs: r.int('INTAKE_MODEL_TIMEOUT_MS', 20_000, 1_000, 600_000),
      maxRetries: r.int('INTAKE_MODEL_MAX_RETRIES', 1, 0, 10),
      maxOutputTokens: r.int('INTAKE_MAX_OUTPUT_TOKENS', 1_024, 256, 8_192),
      maxCostCents: r.int('INTAKE_MAX_COST_CENTS', 5, 1, 10_000),
      cacheTtlMs: r.int('INTAKE_CACHE_TTL_MS', 600_000, 0, 86_400_000),
      cacheSize: r.int('INTAKE_CACHE_SIZE', 1_000, 0, 1_000_000),
    },
    chat: {
      maxCostCents: r.int('CHAT_MAX_COST_CENTS', 50, 0, 10_000_000),
      maxTokens: r.int('CHAT_MAX_TOKENS', 500_000, 0, 1_000_000_000),
    },
    sandbox: {
      mode: r.oneOf('SANDBOX', ['bwrap', 'none'] as const, 'bwrap'),
      timeoutMs: r.int('SANDBOX_TIMEOUT_MS', 300_000, 1_000, 3_600_000),
      memoryMb: r.int('SANDBOX_MEMORY_MB', 2_048, 64, 65_536),
      maxProcesses: r.int('SANDBOX_MAX_PROCESSES', 256, 8, 65_536),
      maxFileMb: r.int('SANDBOX_MAX_FILE_MB', 1_024, 1, 1_048_576),
      diskMb: r.int('SANDBOX_DISK_MB', 4_096, 0, 1_048_576),
      tmpMb: r.int('SANDBOX_TMP_MB', 512, 16, 65_536),
      uidPool: r.idRange('SANDBOX_UID_POOL', { first: 100_000, last: 165_535 }),
      maxOutputBytes: r.int('SANDBOX_MAX_OUTPUT_BYTES', 1_048_576, 1_024, 104_857_600),
    },
    workspaces: {
      retentionMs: r.int('WORKSPACE_RETENTION_MS', 24 * 3_600_000, 0, 365 * 86_400_000),
      pushRemote: r.bool('PUSH_REMOTE', false),
    },
    auth: {
      enabled: authMode === 'on',
      bootstrapToken: r.secret('AUTH_BOOTSTRAP_TOKEN', 16),
      sessionTtlMs: r.int('AUTH_SESSION_TTL_MS', 7 * 86_400_000, 60_000, 365 * 86_400_000),
      tokenCacheMs: r.int('AUTH_TOKEN_CACHE_MS', 1_000, 0, 1_000),
    },
    http: {
      bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1_024, 104_857_600),
      trustProxy: r.trustProxy('TRUST_PROXY'),
      corsOrigins: r.origins('CORS_ORIGINS'),
      rateLimits: {
        default: r.rateLimit('RATE_LIMIT_DEFAULT', { limit: 1_200, windowSeconds: 60 }),
        write: r.rateLimit('RATE_LIMIT_WRITE', { limit: 300, windowSeconds: 60 }),
        webhooks: r.rateLimit('RATE_LIMIT_WEBHOOKS', { limit: 120, windowSeconds: 60 }),
      },
      authFailureLimit: r.rateLimit('RATE_LIMIT_AUTH_FAILURES', { limit: 20, windowSeconds: 60 }),
    },
    repositories: { allow: r.repoAllow('REPO_ALLOW') },
    webhooks: {
      githubSecret: r.secret('GITHUB_WEBHOOK_SECRET', 16),
      githubTriggerLabel: r.string('GITHUB_TRIGGER_LABEL', 'aict')!,
      githubTriggerMention: r.string('GITHUB_TRIGGER_MENTION', '@aict')!,
      githubRepoMap: r.repoMap('GITHUB_REPO_MAP'),
      genericSecret: r.secret('GENERIC_WEBHOOK_SECRET', 16),
      maxSkewSeconds: r.int('WEBHOOK_MAX_SKEW_SECONDS', 300, 1, 86_400),
      githubTrustedAssociations: r.listOf('GITHUB_TRUSTED_ASSOCIATIONS', GITHUB_ASSOCIATIONS, ['OWNER', 'MEMBER', 'COLLABORATOR']),
      githubTrustedLogins: r.logins('GITHUB_TRUSTED_LOGINS'),
      caps: r.capsAtMost('WEBHOOK_MAX', { maxSteps: 60, maxTokens: 1_000_000, maxCostCents: 300, maxWallMs: 30 * 60_000 }, maxCaps),
    },
    pipeline: {
      reviewRounds: r.int('REVIEW_MAX_ROUNDS', 2, 0, 10),
      escalation: r.oneOf('ESCALATION', ESCALATION_MODES, 'ask'),
      reminderAfterMs: r.int('REMINDER_AFTER_MS', 3_600_000, 1_000, 30 * 86_400_000),
      watcherIntervalMs: r.int('WATCHER_INTERVAL_MS', 600_000, 1_000, 86_400_000),
    },
    tdln: {
      signingKey: r.hexKey('TRUTHPACK_SIGNING_KEY'),
      policyFile: r.file('POLICY_FILE', cwd),
      stagesFile: r.file('PIPELINE_STAGES_FILE', cwd),
      intentThreshold: r.fraction('INTENT_THRESHOLD'),
    },
  };
  if (!r.problems.some((p) => p.startsWith('REPO_ALLOW'))) {
    // Webhook jobs run where the map says: each target must pass the same check as any job's repository.
    const access = repositoryAccessOf(config);
    for (const [name, target] of Object.entries(config.webhooks.githubRepoMap)) {
      const verdict = access.check(target);
      if (!verdict.allowed) r.problems.push(`GITHUB_REPO_MAP: "${name}" → ${verdict.refusal.message} ${verdict.refusal.hint}`);
    }
  }
  const { uidPool } = config.sandbox;
  if (uidPool.last - uidPool.first + 1 < config.worker.concurrency) {
    r.problems.push(
      `SANDBOX_UID_POOL: must hold at least WORKER_CONCURRENCY (${config.worker.concurrency}) uids, one per run at a time (got ${uidPool.first}-${uidPool.last})`,
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
