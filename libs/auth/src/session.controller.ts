import { Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, APP_CONFIG, AppConfig, DomainException, Principal, Public, RequestPrincipal, Scopes } from '@app/common';
import { AuthErrorCode } from './auth.errors';
import { SessionView } from './dto/auth.dto';
import { SESSION_COOKIE, readCookie, sessionCookie } from './session-cookie';
import { TokensService } from './tokens.service';

/** Browser sign-in: a bearer token is exchanged for an httpOnly session cookie (so EventSource streams work). */
@ApiTags('access')
@Controller('api/auth/session')
export class SessionController {
  constructor(
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @Scopes('read')
  @ApiErrors(400)
  @ApiOperation({ operationId: 'openSession', summary: 'Exchange the bearer token for a session cookie (httpOnly, SameSite=Strict)' })
  @ApiOkResponse({ type: SessionView })
  async open(
    @Principal() principal: RequestPrincipal | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    if (!this.config.auth.enabled || !principal) return { authEnabled: false, scopes: ['admin'] };
    if (principal.via !== 'bearer')
      throw new DomainException(AuthErrorCode.BearerRequired, 'Open a session with Authorization: Bearer <token>');
    const session = await this.tokens.openSession(principal);
    reply.header(
      'set-cookie',
      sessionCookie(session.secret, (session.expiresAt.getTime() - Date.now()) / 1_000, request.protocol === 'https'),
    );
    return {
      authEnabled: true,
      prefix: principal.prefix,
      name: principal.name,
      scopes: principal.scopes,
      via: 'cookie',
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  @Get()
  @ApiOperation({ operationId: 'getSession', summary: 'Who this request is signed in as, and with which scopes' })
  @ApiOkResponse({ type: SessionView })
  current(@Principal() principal: RequestPrincipal | undefined): SessionView {
    if (!this.config.auth.enabled || !principal) return { authEnabled: false, scopes: ['admin'] };
    return { authEnabled: true, prefix: principal.prefix, name: principal.name, scopes: principal.scopes, via: principal.via };
  }

  @Delete()
  @Public()
  @HttpCode(204)
  @ApiOperation({ operationId: 'closeSession', summary: 'Sign out: end the session and clear its cookie' })
  @ApiNoContentResponse()
  async close(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const secret = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (secret) {
      const principal = await this.tokens.authenticate(secret, 'session');
      if (principal?.sessionId) await this.tokens.closeSession(principal.sessionId);
    }
    reply.header('set-cookie', sessionCookie('', 0, request.protocol === 'https'));
  }
}
