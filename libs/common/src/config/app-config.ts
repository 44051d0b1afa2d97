/** Agent-role modes a job can run in; each gives default caps, a model and policy presets. */
export const JOB_MODES = ['mechanic', 'genius'] as const;
export type JobMode = (typeof JOB_MODES)[number];

/** What one process runs: the HTTP API, the queue worker, or both. */
export const PROCESS_ROLES = ['api', 'worker', 'all'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  worker: {
    concurrency: number;
    modes: JobMode[];
    pollIntervalMs: number;
    leaseMs: number;
    heartbeatMs: number;
    drainTimeoutMs: number;
    claimBatchSize: number;
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
    apiKey?: string;
    baseUrl?: string;
    models: Record<JobMode, string>;
  };
  auth: {
    bootstrapToken?: string;
  };
}
