import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AccessScope, AppConfig, PUBLIC_ROUTE, REQUIRED_SCOPE, hasScope } from '@app/common';
import { AuthErrorCode, AuthException } from './auth.errors';
import { SESSION_COOKIE, readCookie } from './session-cookie';
import { TokensService } from './tokens.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Header a cookie-authenticated unsafe request must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'aict';

/**
 * Every route needs a valid bearer token (or session cookie) with the route's scope, unless it is
 * `@Public()`. Runs before pipes and handlers, so a caller without access learns nothing about
 * what exists.
 */
@Injectable()
export class AuthGuard implements CanActivate {
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
    const principal = bearer
      ? await this.tokens.authenticate(bearer, 'token')
      : cookie
        ? await this.tokens.authenticate(cookie, 'session')
        : null;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="aict"');
      throw new AuthException(AuthErrorCode.Unauthorized, 'A valid access token is required (Authorization: Bearer <token>)');
    }
    const safe = SAFE_METHODS.has(request.method);
    if (principal.via === 'cookie' && !safe && request.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) {
      throw new AuthException(
        AuthErrorCode.CsrfHeaderRequired,
        `Requests signed in by cookie must send the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE}`,
      );
    }
    const required = this.reflector.getAllAndOverride<AccessScope>(REQUIRED_SCOPE, targets) ?? (safe ? 'read' : 'write');
    if (!hasScope(principal.scopes, required)) {
      throw new AuthException(
        AuthErrorCode.InsufficientScope,
        `This needs the ${required} scope; the token has ${principal.scopes.join(', ')}`,
        { required },
      );
    }
    request.principal = principal;
    return true;
  }
}
