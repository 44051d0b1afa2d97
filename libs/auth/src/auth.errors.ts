import { errorKinds } from '@app/common';

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

/** How the API treats each auth error code (HTTP status by kind, mapped once in the global filter). */
export const AUTH_ERROR_KINDS = errorKinds<AuthErrorCode>({
  [AuthErrorCode.Unauthorized]: 'unauthorized',
  [AuthErrorCode.InsufficientScope]: 'forbidden',
  [AuthErrorCode.CsrfHeaderRequired]: 'forbidden',
  [AuthErrorCode.BearerRequired]: 'validation',
  [AuthErrorCode.TokenNotFound]: 'not_found',
  [AuthErrorCode.TooManyFailures]: 'rate_limited',
});
