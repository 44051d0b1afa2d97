import { DomainException, ErrorKind } from '@app/common';

/** Error codes of access control. */
export enum AuthErrorCode {
  Unauthorized = 'unauthorized',
  InsufficientScope = 'insufficient_scope',
  CsrfHeaderRequired = 'csrf_header_required',
  BearerRequired = 'bearer_token_required',
  TokenNotFound = 'token_not_found',
  /** Too many failed authentications from one client address; Retry-After says when to try again. */
  TooManyFailures = 'too_many_auth_failures',
}

/** The one exception class of access control. */
export class AuthException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: AuthErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = AuthException.kindOf(code);
  }

  private static kindOf(code: AuthErrorCode): ErrorKind {
    switch (code) {
      case AuthErrorCode.Unauthorized:
        return 'unauthorized';
      case AuthErrorCode.InsufficientScope:
      case AuthErrorCode.CsrfHeaderRequired:
        return 'forbidden';
      case AuthErrorCode.BearerRequired:
        return 'validation';
      case AuthErrorCode.TokenNotFound:
        return 'not_found';
      case AuthErrorCode.TooManyFailures:
        return 'rate_limited';
    }
  }
}
