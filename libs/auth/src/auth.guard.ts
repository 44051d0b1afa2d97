import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AccessScope, APP_CONFIG, AppConfig, DomainException, hasScope, PUBLIC_ROUTE, REQUIRED_SCOPE } from '@app/common';
import { AuthErrorCode } from './auth.errors';
import { FixedWindowLimiter } from './rate-limit/fixed-window-limiter';
import { SESSION_COOKIE, readCookie } from './session-cookie';
import { TokensService } from './tokens.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Header a cookie-authenticated unsafe request must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'aict';

/**
 * Every route needs a valid bearer token (or session cookie) with the route's scope, unless it is
 * `@Public()`. Runs before pipes and handlers, so a caller without access learns nothing about
 * what exists. Wrong credentials are counted per client address (RATE_LIMIT_AUTH_FAILURES): past
 * the limit the address gets 429 without its credentials being checked, so guessing stops there.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly failures = new FixedWindowLimiter();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    if (!this.config.auth.enabled) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: unknown }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    const cookie = bearer ? undefined : readCookie(request.headers.cookie, SESSION_COOKIE);
    const presented = request.headers.authorization !== undefined || cookie !== undefined;
    const failureKey = `address:${request.ip}`;
    const rule = this.config.http.authFailureLimit;
    const standing = this.failures.peek(failureKey, rule);
    if (!standing.allowed) {
      throw new DomainException(
        AuthErrorCode.TooManyFailures,
        `Too many failed authentications from this address; try again in ${standing.resetSeconds} s`,
        { limit: rule.limit, windowSeconds: rule.windowSeconds, retryAfterSeconds: standing.resetSeconds },
      );
    }
    const principal = bearer
      ? await this.tokens.authenticate(bearer, 'token')
      : cookie
        ? await this.tokens.authenticate(cookie, 'session')
        : null;
    if (!principal) {
      // Only credentials that were presented and failed count: a request without any is just unauthenticated.
      if (presented) this.failures.hit(failureKey, rule);
      reply.header('www-authenticate', 'Bearer realm="aict"');
      throw new DomainException(AuthErrorCode.Unauthorized, 'A valid access token is required (Authorization: Bearer <token>)');
    }
    const safe = SAFE_METHODS.has(request.method);
    if (principal.via === 'cookie' && !safe && request.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) {
      throw new DomainException(
        AuthErrorCode.CsrfHeaderRequired,
        `Requests signed in by cookie must send the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE}`,
      );
    }
    const required = this.reflector.getAllAndOverride<AccessScope>(REQUIRED_SCOPE, targets) ?? (safe ? 'read' : 'write');
    if (!hasScope(principal.scopes, required)) {
      throw new DomainException(
        AuthErrorCode.InsufficientScope,
        `This needs the ${required} scope; the token has ${principal.scopes.join(', ')}`,
        { required },
      );
    }
    request.principal = principal;
    return true;
  }
}
