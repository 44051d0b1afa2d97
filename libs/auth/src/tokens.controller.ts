import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Scopes, UuidParamPipe } from '@app/common';
import { CreateTokenRequest, CreatedTokenView, TokenView } from './dto/auth.dto';
import { TokensService } from './tokens.service';

@ApiTags('access')
@Scopes('admin')
@Controller('api/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @ApiOperation({ operationId: 'createToken', summary: 'Issue an access token (its secret is shown once, in this response)' })
  @ApiCreatedResponse({ type: CreatedTokenView })
  async create(@Body() body: CreateTokenRequest): Promise<CreatedTokenView> {
    const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
    const { token, secret } = await this.tokens.create({ name: body.name, scopes: [...new Set(body.scopes)], expiresAt });
    return { ...TokenView.of(token), token: secret };
  }

  @Get()
  @ApiOperation({ operationId: 'listTokens', summary: 'Access tokens, newest first (never their secrets)' })
  @ApiOkResponse({ type: [TokenView] })
  async list(): Promise<TokenView[]> {
    return (await this.tokens.list()).map(TokenView.of);
  }

  @Delete(':id')
  @ApiErrors(404)
  @ApiOperation({ operationId: 'revokeToken', summary: 'Revoke a token and every browser session made from it' })
  @ApiOkResponse({ type: TokenView })
  async revoke(@Param('id', UuidParamPipe) id: string): Promise<TokenView> {
    return TokenView.of(await this.tokens.revoke(id));
  }
}
