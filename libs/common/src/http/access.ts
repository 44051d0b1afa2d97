import { ExecutionContext, SetMetadata, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { RateLimitGroup } from '../config/app-config';

/** Access scopes of tokens; each includes the ones before it (admin ⊇ write ⊇ read). */
export const ACCESS_SCOPES = ['read', 'write', 'admin'] as const;
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** Whether `granted` scopes include `required`. */
export function hasScope(granted: readonly string[], required: AccessScope): boolean {
  const rank = ACCESS_SCOPES.indexOf(required);
  return granted.some((scope) => ACCESS_SCOPES.indexOf(scope as AccessScope) >= rank);
}

/** Who made an authenticated request: the token (or the session made from it). */
export interface RequestPrincipal {
  tokenId: string;
  /** Public part of the token, safe to show and record (`aict_AbCdEfGh`). */
  prefix: string;
  name: string;
  scopes: AccessScope[];
  via: 'bearer' | 'cookie';
  sessionId?: string;
}

export const PUBLIC_ROUTE = 'aict:public';
export const REQUIRED_SCOPE = 'aict:scope';
export const RATE_LIMIT_GROUP = 'aict:rate-limit-group';

/** The route needs no token (probes, signed webhooks); its OpenAPI operation says so (`security: [{}]`). */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), ApiSecurity({}));

/** The scope a route needs; without it GET/HEAD need `read` and everything else `write`. */
export const Scopes = (scope: AccessScope) => SetMetadata(REQUIRED_SCOPE, scope);

/** The rate-limit group of a route (also `x-rate-limit` in OpenAPI); without it GET/HEAD count as `default` and the rest as `write`; `none` exempts it. */
export const RateLimited = (group: RateLimitGroup | 'none') =>
  applyDecorators(SetMetadata(RATE_LIMIT_GROUP, group), ApiExtension('x-rate-limit', group));

/** The principal the auth guard attached to a request, if any. */
export function principalOf(request: unknown): RequestPrincipal | undefined {
  return (request as { principal?: RequestPrincipal }).principal;
}

/** The request's principal (undefined when auth is off or the route is public). */
export const Principal = createParamDecorator((_: unknown, ctx: ExecutionContext) => principalOf(ctx.switchToHttp().getRequest()));

/** How the ledger names whoever made the request: `token:<prefix>`, or `user` when auth is off. */
export type RequestActorName = 'user' | `token:${string}`;

/** The ledger actor of the request. */
export const RequestActor = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestActorName => {
  const principal = principalOf(ctx.switchToHttp().getRequest());
  return principal ? `token:${principal.prefix}` : 'user';
});

/** Who made a request, as far as the request says: the ledger actor, how it was authenticated, and its browser session. */
export interface RequestIdentityInfo {
  actor: RequestActorName;
  auth: 'bearer' | 'cookie' | 'none';
  sessionId?: string;
}

/** The request's identity (see {@link RequestIdentityInfo}). */
export const RequestIdentity = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestIdentityInfo => {
  const principal = principalOf(ctx.switchToHttp().getRequest());
  if (!principal) return { actor: 'user', auth: 'none' };
  return {
    actor: `token:${principal.prefix}`,
    auth: principal.via,
    ...(principal.sessionId ? { sessionId: principal.sessionId } : {}),
  };
});
