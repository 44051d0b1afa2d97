/**
 * How the API layer should treat a domain failure. Each lib maps its own error codes onto one of
 * these kinds in an exhaustive switch; the global filter maps kinds onto HTTP statuses.
 */
export type ErrorKind =
  'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable' | 'internal';

/** Base of every lib's exception class: a stable code, a message for people and structured details. */
export abstract class DomainException extends Error {
  abstract readonly kind: ErrorKind;

  protected constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Error codes owned by `libs/common` (requests and infrastructure). */
export enum CommonErrorCode {
  ValidationFailed = 'validation_failed',
  NotFound = 'not_found',
  InvalidCursor = 'invalid_cursor',
  Internal = 'internal_error',
  Unavailable = 'service_unavailable',
  DatabaseUnavailable = 'database_unavailable',
  RateLimited = 'rate_limited',
  /** A job's repository is outside what REPO_ALLOW (or its default) allows. */
  RepoNotAllowed = 'repo_not_allowed',
}

/** Failures that are not any single domain's: bad requests, unknown routes, infrastructure. */
export class CommonException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: CommonErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = CommonException.kindOf(code);
  }

  private static kindOf(code: CommonErrorCode): ErrorKind {
    switch (code) {
      case CommonErrorCode.ValidationFailed:
      case CommonErrorCode.InvalidCursor:
      case CommonErrorCode.RepoNotAllowed:
        return 'validation';
      case CommonErrorCode.NotFound:
        return 'not_found';
      case CommonErrorCode.RateLimited:
        return 'rate_limited';
      case CommonErrorCode.Unavailable:
      case CommonErrorCode.DatabaseUnavailable:
        return 'unavailable';
      case CommonErrorCode.Internal:
        return 'internal';
    }
  }
}

/** The HTTP status for each kind of failure. */
export function httpStatusOf(kind: ErrorKind): number {
  switch (kind) {
    case 'validation':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'unprocessable':
      return 422;
    case 'rate_limited':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}
