import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { ACCESS_SCOPES, AccessScope, IntField, StringField } from '@app/common';
import { AccessToken } from '../tokens.service';

export class CreateTokenRequest {
  @StringField({ description: 'What the token is for', minLength: 1, maxLength: 100, example: 'ci pipeline' })
  name: string;

  @ApiProperty({
    enum: ACCESS_SCOPES,
    enumName: 'AccessScope',
    isArray: true,
    minItems: 1,
    maxItems: 3,
    description: 'admin includes write, write includes read',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(3)
  @IsIn(ACCESS_SCOPES as unknown as string[], { each: true, message: `each value in scopes must be one of: ${ACCESS_SCOPES.join(', ')}` })
  scopes: AccessScope[];

  @IntField({ description: 'Days until the token expires; never when omitted', min: 1, max: 3_650, optional: true })
  expiresInDays?: number;
}

export class TokenView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Public part of the token, shown in the ledger as token:<prefix>' }) prefix: string;
  @ApiProperty({ enum: ACCESS_SCOPES, enumName: 'AccessScope', isArray: true }) scopes: AccessScope[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;

  static of(token: AccessToken): TokenView {
    return {
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      scopes: token.scopes,
      createdAt: token.createdAt.toISOString(),
      expiresAt: token.expiresAt?.toISOString() ?? null,
      lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
      revokedAt: token.revokedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedTokenView extends TokenView {
  @ApiProperty({ description: 'The secret; shown only in this response', example: 'aict_…' }) token: string;
}

export class SessionView {
  @ApiProperty({ description: 'False when the server runs with AUTH=off (loopback only)' }) authEnabled: boolean;
  @ApiPropertyOptional({ description: 'Prefix of the token behind this request' }) prefix?: string;
  @ApiPropertyOptional() name?: string;
  @ApiProperty({ enum: ACCESS_SCOPES, enumName: 'AccessScope', isArray: true }) scopes: AccessScope[];
  @ApiPropertyOptional({ enum: ['bearer', 'cookie'] }) via?: 'bearer' | 'cookie';
  @ApiPropertyOptional({ format: 'date-time' }) expiresAt?: string;
}
