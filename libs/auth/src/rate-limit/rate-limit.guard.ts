import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig, CommonErrorCode, DomainException, principalOf, RATE_LIMIT_GROUP, RateLimitGroup } from '@app/common';
import { FixedWindowLimiter } from './fixed-window-limiter';

/**
 * Limits requests per token (per address when there is none) in fixed windows, by route group,
 * and tells the client its budget in X-RateLimit-* headers. Runs after the auth guard.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter = new FixedWindowLimiter();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const marked = this.reflector.getAllAndOverride<RateLimitGroup | 'none'>(RATE_LIMIT_GROUP, [context.getHandler(), context.getClass()]);
    if (marked === 'none') return true;
    const group: RateLimitGroup = marked ?? (['GET', 'HEAD', 'OPTIONS'].includes(request.method) ? 'default' : 'write');
    const principal = principalOf(request);
    const who = principal ? `token:${principal.tokenId}` : `address:${request.ip}`;
    const decision = this.limiter.hit(`${group}|${who}`, this.config.http.rateLimits[group]);
    reply.header('x-ratelimit-limit', decision.limit);
    reply.header('x-ratelimit-remaining', decision.remaining);
    reply.header('x-ratelimit-reset', decision.resetSeconds);
    if (!decision.allowed) {
      throw new DomainException(CommonErrorCode.RateLimited, `Too many requests; try again in ${decision.resetSeconds} s`, {
        group,
        limit: decision.limit,
        retryAfterSeconds: decision.resetSeconds,
      });
    }
    return true;
  }
}
