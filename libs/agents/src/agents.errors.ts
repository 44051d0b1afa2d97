import { DomainException, errorKinds } from '@app/common';

/** Error codes of the agent runtime; also the `error_code` a job ends with. */
export enum AgentsErrorCode {
  ModelNotConfigured = 'model_not_configured',
  ModelUnavailable = 'model_unavailable',
  ModelTimeout = 'model_timeout',
  ModelRateLimited = 'model_rate_limited',
  ModelRejected = 'model_rejected',
  StepLimit = 'step_limit',
  TokenLimit = 'token_limit',
  CostLimit = 'cost_limit',
  TimeLimit = 'time_limit',
  AgentStuck = 'agent_stuck',
  Cancelled = 'cancelled',
  WorkspaceFailed = 'workspace_failed',
  /** The repository is not (or no longer) allowed by REPO_ALLOW, checked again when git was about to reach it. */
  RepoNotAllowed = 'repo_not_allowed',
  DiskFull = 'disk_full',
  SandboxUnavailable = 'sandbox_unavailable',
  ChangesTooLarge = 'changes_too_large',
  NoResult = 'no_result',
  /** A change a person approved was refused by the commit's policy gate. */
  ApprovedCommitRefused = 'approved_commit_refused',
}

/** How the API treats each agents error code (HTTP status by kind, mapped once in the global filter). */
export const AGENTS_ERROR_KINDS = errorKinds<AgentsErrorCode>({
  [AgentsErrorCode.ModelNotConfigured]: 'unavailable',
  [AgentsErrorCode.ModelUnavailable]: 'unavailable',
  [AgentsErrorCode.ModelTimeout]: 'unavailable',
  [AgentsErrorCode.ModelRateLimited]: 'unavailable',
  [AgentsErrorCode.DiskFull]: 'unavailable',
  [AgentsErrorCode.SandboxUnavailable]: 'unavailable',
  [AgentsErrorCode.ChangesTooLarge]: 'unprocessable',
  [AgentsErrorCode.ApprovedCommitRefused]: 'unprocessable',
  [AgentsErrorCode.ModelRejected]: 'internal',
  [AgentsErrorCode.WorkspaceFailed]: 'internal',
  [AgentsErrorCode.NoResult]: 'internal',
  // A job's error code, never an HTTP answer: it agrees with the common code the API refuses with.
  [AgentsErrorCode.RepoNotAllowed]: 'validation',
  [AgentsErrorCode.StepLimit]: 'conflict',
  [AgentsErrorCode.TokenLimit]: 'conflict',
  [AgentsErrorCode.CostLimit]: 'conflict',
  [AgentsErrorCode.TimeLimit]: 'conflict',
  [AgentsErrorCode.AgentStuck]: 'conflict',
  [AgentsErrorCode.Cancelled]: 'conflict',
});

/** The codes a job stops with when it reaches one of its caps (or a role its share of them). */
export const CAP_REACHED_CODES: readonly string[] = [
  AgentsErrorCode.StepLimit,
  AgentsErrorCode.TokenLimit,
  AgentsErrorCode.CostLimit,
  AgentsErrorCode.TimeLimit,
];

/** Whether an error is a cap reached: the job's, or a role's share of it. */
export function isCapReached(error: unknown): error is DomainException {
  return error instanceof DomainException && CAP_REACHED_CODES.includes(error.code);
}
