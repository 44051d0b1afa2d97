/**
 * How the API layer should treat a domain failure. Each lib maps its own error codes onto one of
 * these kinds in one table (`errorKinds`); the global filter maps kinds onto HTTP statuses.
 */
export type ErrorKind =
  'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable' | 'internal';

/** Every module's codes with their kinds, as the modules declared them (a shared code may mean two kinds). */
const KINDS = new Map<string, Set<ErrorKind>>();

/**
 * Declares the kind of each code of a module's code enum, once (the table must name every code, so
 * a new code cannot be forgotten).
 */
export function errorKinds<C extends string>(kinds: Record<C, ErrorKind>): Readonly<Record<C, ErrorKind>> {
  for (const [code, kind] of Object.entries(kinds) as [string, ErrorKind][]) {
    KINDS.set(code, new Set([...(KINDS.get(code) ?? []), kind]));
  }
  return kinds;
}

/**
 * The kind a code was declared with; an undeclared code is an internal error. A code two modules
 * declared with different kinds (`conversation_not_found`: a missing resource to chat, a bad reference
 * in a new job's request) takes the kind its thrower names.
 */
export function errorKindOf(code: string, named?: ErrorKind): ErrorKind {
  const kinds = KINDS.get(code);
  if (named && (!kinds || kinds.has(named))) return named;
  if (!kinds) return 'internal';
  if (kinds.size > 1) throw new Error(`Error code "${code}" means ${[...kinds].join(' or ')}: its thrower must name the kind`);
  return [...kinds][0];
}

/** Codes declared with more than one kind (their throwers must name the kind). */
export function ambiguousErrorCodes(): string[] {
  return [...KINDS].filter(([, kinds]) => kinds.size > 1).map(([code]) => code);
}

/**
 * The one exception of every domain: a stable code from its module's code enum, a message for
 * people and structured details. Its kind (and so its HTTP status) comes from the code.
 */
export class DomainException<C extends string = string> extends Error {
  readonly kind: ErrorKind;

  constructor(
    readonly code: C,
    message: string,
    readonly details?: unknown,
    kind?: ErrorKind,
  ) {
    super(message);
    this.name = 'DomainException';
    this.kind = errorKindOf(code, kind);
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

/** How the API treats each common error code (HTTP status by kind, mapped once in the global filter). */
export const COMMON_ERROR_KINDS = errorKinds<CommonErrorCode>({
  [CommonErrorCode.ValidationFailed]: 'validation',
  [CommonErrorCode.InvalidCursor]: 'validation',
  [CommonErrorCode.RepoNotAllowed]: 'validation',
  [CommonErrorCode.NotFound]: 'not_found',
  [CommonErrorCode.RateLimited]: 'rate_limited',
  [CommonErrorCode.Unavailable]: 'unavailable',
  [CommonErrorCode.DatabaseUnavailable]: 'unavailable',
  [CommonErrorCode.Internal]: 'internal',
});

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
