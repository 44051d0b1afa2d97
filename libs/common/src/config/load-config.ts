import { resolve } from 'node:path';
import { AppConfig, JOB_MODES, JobMode, LOG_LEVELS, PROCESS_ROLES } from './app-config';

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
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (items.length === 0 || bad.length > 0) {
      this.problems.push(`${key}: must be a comma-separated list of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return items as T[];
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
  const models: Record<JobMode, string> = {
    mechanic: r.string('MODEL_MECHANIC', 'claude-haiku-4-5')!,
    genius: r.string('MODEL_GENIUS', 'claude-sonnet-4-5')!,
  };
  const heartbeatMs = r.int('WORKER_HEARTBEAT_MS', 5_000, 50, 600_000);
  const leaseMs = r.int('WORKER_LEASE_MS', 30_000, 100, 3_600_000);
  if (leaseMs <= heartbeatMs) {
    r.problems.push(`WORKER_LEASE_MS: must be greater than WORKER_HEARTBEAT_MS (${leaseMs} <= ${heartbeatMs})`);
  }

  const config: AppConfig = {
    port: r.int('PORT', 3000, 0, 65_535),
    host: r.string('HOST', '127.0.0.1')!,
    role,
    dataDir: resolve(cwd, r.string('DATA_DIR', '.data')!),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    database: {
      url: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      embeddedPort: r.int('EMBEDDED_PG_PORT', 54_329, 1, 65_535),
      poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
    },
    worker: {
      concurrency: r.int('WORKER_CONCURRENCY', 4, 1, 1_000),
      modes: r.listOf('WORKER_MODES', JOB_MODES, modes),
      pollIntervalMs: r.int('WORKER_POLL_INTERVAL_MS', 2_000, 10, 600_000),
      leaseMs,
      heartbeatMs,
      drainTimeoutMs: r.int('WORKER_DRAIN_TIMEOUT_MS', 10_000, 0, 3_600_000),
      claimBatchSize: r.int('WORKER_CLAIM_BATCH', 8, 1, 1_000),
      reaperIntervalMs: r.int('WORKER_REAPER_INTERVAL_MS', 5_000, 50, 3_600_000),
      backoffBaseMs: r.int('WORKER_BACKOFF_BASE_MS', 1_000, 0, 3_600_000),
      backoffMaxMs: r.int('WORKER_BACKOFF_MAX_MS', 300_000, 0, 86_400_000),
    },
    jobs: {
      defaultMaxAttempts: r.int('JOB_MAX_ATTEMPTS', 3, 1, 100),
      modeCaps: {
        mechanic: {
          maxSteps: r.int('MECHANIC_MAX_STEPS', 30, 1, 100_000),
          maxTokens: r.int('MECHANIC_MAX_TOKENS', 300_000, 1, 1_000_000_000),
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
      maxCaps: {
        maxSteps: r.int('MAX_JOB_STEPS', 500, 1, 100_000),
        maxTokens: r.int('MAX_JOB_TOKENS', 10_000_000, 1, 1_000_000_000),
        maxCostCents: r.int('MAX_JOB_COST_CENTS', 10_000, 1, 10_000_000),
        maxWallMs: r.int('MAX_JOB_WALL_MS', 4 * 3_600_000, 1_000, 86_400_000),
      },
    },
    sse: { heartbeatMs: r.int('SSE_HEARTBEAT_MS', 15_000, 100, 600_000) },
    model: {
      apiKey: r.string('ANTHROPIC_API_KEY'),
      baseUrl: r.url('ANTHROPIC_BASE_URL', ['http:', 'https:']),
      models,
    },
    auth: { bootstrapToken: r.string('AUTH_BOOTSTRAP_TOKEN') },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
