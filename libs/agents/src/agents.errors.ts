import { DomainException, ErrorKind } from '@app/common';

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

/** The one exception class of the agents domain. */
export class AgentsException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: AgentsErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = AgentsException.kindOf(code);
  }

  private static kindOf(code: AgentsErrorCode): ErrorKind {
    switch (code) {
      case AgentsErrorCode.ModelNotConfigured:
      case AgentsErrorCode.ModelUnavailable:
      case AgentsErrorCode.ModelTimeout:
      case AgentsErrorCode.ModelRateLimited:
      case AgentsErrorCode.DiskFull:
      case AgentsErrorCode.SandboxUnavailable:
        return 'unavailable';
      case AgentsErrorCode.ChangesTooLarge:
      case AgentsErrorCode.ApprovedCommitRefused:
        return 'unprocessable';
      case AgentsErrorCode.ModelRejected:
      case AgentsErrorCode.WorkspaceFailed:
      case AgentsErrorCode.NoResult:
        return 'internal';
      case AgentsErrorCode.RepoNotAllowed:
        return 'forbidden';
      case AgentsErrorCode.StepLimit:
      case AgentsErrorCode.TokenLimit:
      case AgentsErrorCode.CostLimit:
      case AgentsErrorCode.TimeLimit:
      case AgentsErrorCode.AgentStuck:
      case AgentsErrorCode.Cancelled:
        return 'conflict';
    }
  }
}

/** The codes a job stops with when it reaches one of its caps (or a role its share of them). */
export const CAP_REACHED_CODES: readonly string[] = [
  AgentsErrorCode.StepLimit,
  AgentsErrorCode.TokenLimit,
  AgentsErrorCode.CostLimit,
  AgentsErrorCode.TimeLimit,
];

/** Whether an error is a cap reached: the job's, or a role's share of it. */
export function isCapReached(error: unknown): error is AgentsException {
  return error instanceof AgentsException && CAP_REACHED_CODES.includes(error.code);
}
