import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthBootstrap } from './auth-bootstrap';
import { AuthGuard } from './auth.guard';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { SessionController } from './session.controller';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/** Access control: tokens, browser sessions, the global auth guard and rate limits (in that order). */
@Module({
  controllers: [TokensController, SessionController],
  providers: [TokensService, AuthBootstrap, { provide: APP_GUARD, useClass: AuthGuard }, { provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [TokensService],
})
export class AuthModule {}
