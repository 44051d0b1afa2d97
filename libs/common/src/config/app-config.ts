/** Agent-role modes a job can run in; each gives default caps, a model and policy presets. */
export const JOB_MODES = ['mechanic', 'genius'] as const;
export type JobMode = (typeof JOB_MODES)[number];

/** What one process runs: the HTTP API, the queue worker, or both. */
export const PROCESS_ROLES = ['api', 'worker', 'all'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Route groups with a rate limit of their own. */
export const RATE_LIMIT_GROUPS = ['default', 'write', 'webhooks'] as const;
export type RateLimitGroup = (typeof RATE_LIMIT_GROUPS)[number];

/** At most `limit` requests per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** The model APIs the gateway can drive: Anthropic's Messages API, or an OpenAI-compatible Chat Completions endpoint. */
export const MODEL_PROVIDERS = ['anthropic', 'openai'] as const;
export type ModelProviderName = (typeof MODEL_PROVIDERS)[number];

/** How an OpenAI-compatible endpoint takes the output-token limit: OpenAI wants the newer name, most servers the older. */
export const OPENAI_MAX_TOKENS_PARAMS = ['max_completion_tokens', 'max_tokens'] as const;
export type OpenAiMaxTokensParam = (typeof OPENAI_MAX_TOKENS_PARAMS)[number];

/** Prices of one model in USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** What GitHub says a person is to a repository (`author_association` of issues and comments). */
export const GITHUB_ASSOCIATIONS = [
  'OWNER',
  'MEMBER',
  'COLLABORATOR',
  'CONTRIBUTOR',
  'FIRST_TIME_CONTRIBUTOR',
  'FIRST_TIMER',
  'MANNEQUIN',
  'NONE',
] as const;
export type GithubAssociation = (typeof GITHUB_ASSOCIATIONS)[number];

/**
 * What happens when a mechanic job reaches a cap or its Reviewer sends the Builder back a second
 * time: `auto` continues it in genius mode, `ask` asks a person (genius mode, or a higher cap),
 * `off` lets the cap end it.
 */
export const ESCALATION_MODES = ['auto', 'ask', 'off'] as const;
export type EscalationMode = (typeof ESCALATION_MODES)[number];

/** Budget caps of one job. */
export interface JobCaps {
  maxSteps: number;
  maxTokens: number;
  maxCostCents: number;
  maxWallMs: number;
}

/** The whole typed configuration, parsed once from the environment at boot. */
export interface AppConfig {
  port: number;
  host: string;
  role: ProcessRole;
  dataDir: string;
  logLevel: LogLevel;
  database: {
    /** Connection string; undefined means "start the embedded PostgreSQL". */
    url?: string;
    embeddedPort: number;
    poolSize: number;
  };
  ledger: {
    /** How often the leading sequencer looks for new committed entries when idle. */
    sequenceIntervalMs: number;
    /** The most entries one sequencer batch integrates into the tree. */
    sequenceBatch: number;
    /** How often a process that does not lead the sequencer tries to take over. */
    leaderRetryMs: number;
  };
  worker: {
    concurrency: number;
    modes: JobMode[];
    pollIntervalMs: number;
    leaseMs: number;
    heartbeatMs: number;
    drainTimeoutMs: number;
    claimBatchSize: number;
    /** Jobs claimed ahead of free slots and held under the lease, started as slots free up. */
    localQueueSize: number;
    /** A claimed-ahead job not started within this time goes back to the queue. */
    localQueueTtlMs: number;
    reaperIntervalMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
  };
  jobs: {
    defaultMaxAttempts: number;
    /** Defaults per mode. */
    modeCaps: Record<JobMode, JobCaps>;
    /** The most a request may ask for. */
    maxCaps: JobCaps;
  };
  sse: {
    heartbeatMs: number;
  };
  model: {
    /** Which API the gateway speaks (MODEL_PROVIDER). */
    provider: ModelProviderName;
    /** The Messages API: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL. */
    anthropic: { apiKey?: string; baseUrl?: string };
    /** An OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, llama.cpp server, Ollama). */
    openai: { apiKey?: string; baseUrl: string; maxTokensParam: OpenAiMaxTokensParam };
    /** The model name sent per mode (MODEL_MECHANIC, MODEL_GENIUS), whichever the provider. */
    models: Record<JobMode, string>;
    /** Retries of one model call on 429, 5xx, overload and dropped streams. */
    maxRetries: number;
    /** How long to wait for the answer to start (the SDK's timeout; it retries timeouts itself). */
    timeoutMs: number;
    /** A streaming answer that sends nothing (not even a ping) for this long is cut and retried. */
    streamIdleMs: number;
    /** Output tokens asked for per call. */
    maxOutputTokens: number;
    /** USD per million tokens, by model name; built-in prices cover the known models. */
    prices: Record<string, ModelPrice>;
  };
  intake: {
    /** Ask the model (when one is configured) for a structured intent when the grammar abstains. */
    useModel: boolean;
    /** The most one intake model call may take, retries included. */
    timeoutMs: number;
    /** Retries of one intake model call. */
    maxRetries: number;
    /** Output tokens an intake call may use. */
    maxOutputTokens: number;
    /** The most one intake call may cost (estimated before it is made), in US cents. */
    maxCostCents: number;
    /** How long an understood request is remembered (by repository and normalised text). */
    cacheTtlMs: number;
    /** Requests remembered at most. */
    cacheSize: number;
  };
  chat: {
    /** The most the chat Coordinator's own model calls may cost per conversation, in US cents (0: it never asks the model). */
    maxCostCents: number;
    /** The most tokens the chat Coordinator's own model calls may use per conversation. */
    maxTokens: number;
  };
  sandbox: {
    /** `bwrap`: commands run under bubblewrap; `none`: unsandboxed (explicit opt-out). */
    mode: 'bwrap' | 'none';
    timeoutMs: number;
    memoryMb: number;
    maxProcesses: number;
    /** The largest file a sandboxed command may write, in MiB. */
    maxFileMb: number;
    /** Disk space a workspace may use outside `.git` while a run writes in it, in MiB; 0: no quota. */
    diskMb: number;
    /** Size of each run's private /tmp (a tmpfs, so memory), in MiB. */
    tmpMb: number;
    /** The uids runs take theirs from when the worker is root, one per run at a time (gid = uid). */
    uidPool: { first: number; last: number };
    maxOutputBytes: number;
  };
  workspaces: {
    /** Workspaces (under `<DATA_DIR>/workspaces`) of jobs finished longer ago than this are removed. */
    retentionMs: number;
    /** Push job branches to remote (URL) origins too; server-path repositories are always pushed to. */
    pushRemote: boolean;
  };
  auth: {
    /** `false` only with AUTH=off on a loopback HOST: every /api route is open. */
    enabled: boolean;
    /** The first admin token (for automation); otherwise one is generated and its login link printed once. */
    bootstrapToken?: string;
    /** Lifetime of a browser session cookie (capped by its token's expiry). */
    sessionTtlMs: number;
    /** How long a checked token or session is trusted without asking the database (at most 1 s: a revocation elsewhere takes effect within it). */
    tokenCacheMs: number;
  };
  http: {
    bodyLimitBytes: number;
    /** Fastify `trustProxy`: false, true, a hop count, or a list of proxy addresses/CIDRs. */
    trustProxy: boolean | number | string;
    /** Origins allowed by CORS; empty means no cross-origin access. */
    corsOrigins: string[];
    /** Fixed-window limits per token (or per address when unauthenticated), by route group. */
    rateLimits: Record<RateLimitGroup, RateLimit>;
    /** Failed authentications (unknown, revoked or expired token or session) allowed per client address. */
    authFailureLimit: RateLimit;
  };
  repositories: {
    /** REPO_ALLOW entries; unset: the default of HOST (loopback: any server path but DATA_DIR, and https URLs; otherwise nothing). */
    allow?: string[];
  };
  webhooks: {
    githubSecret?: string;
    githubTriggerLabel: string;
    githubTriggerMention: string;
    /** `owner/name` → server path or URL the job runs on; unmapped repositories use the payload's clone URL. */
    githubRepoMap: Record<string, string>;
    genericSecret?: string;
    /** How far a generic webhook's timestamp may be from now. */
    maxSkewSeconds: number;
    /** GitHub senders whose `author_association` is one of these may start jobs. */
    githubTrustedAssociations: GithubAssociation[];
    /** GitHub logins (lower case) that may start jobs whatever their association, bots included. */
    githubTrustedLogins: string[];
    /** The most a job from any webhook may use: its caps are the mode's defaults, lowered to these. */
    caps: JobCaps;
  };
  pipeline: {
    /** Times the Reviewer may send the Builder back before a person decides. */
    reviewRounds: number;
    /** What a mechanic job does at a cap, or when its Reviewer sends the Builder back a second time. */
    escalation: EscalationMode;
    /** A job waiting longer than this for a person gets a reminder event. */
    reminderAfterMs: number;
    /** How often the Watcher looks for patterns. */
    watcherIntervalMs: number;
  };
  tdln: {
    /** Ed25519 secret key (hex, never a weak one) that signs TruthPacks; generated into DATA_DIR/keys on first start when unset. */
    signingKey?: string;
    /** A policy file (TOML or JSON) used instead of the mode presets. */
    policyFile?: string;
    /** A pipeline stages file (TOML or JSON) used instead of the built-in one. */
    stagesFile?: string;
    /** Confidence below which tdln-in abstains (0-1). */
    intentThreshold?: number;
  };
}

/** Whether a HOST value binds only the loopback interface (one person on their own machine). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
