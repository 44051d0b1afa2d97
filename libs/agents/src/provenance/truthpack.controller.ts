import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { ApiErrors, CommonErrorCode, CommonException, UuidParamPipe } from '@app/common';
import { TruthPackService } from './truthpack.service';

/** A job's TruthPack, its items and their inclusion proofs, and the verdict of checking it now. */
export class TruthPackView {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ description: 'Merkle root (RFC 6962, hex)' }) root: string;
  @ApiProperty() size: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The signed pack: version, algorithm, root, size, leaves, signature, publicKey',
  })
  pack: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Provenance items, in leaf order' })
  items: Record<string, unknown>[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Inclusion proof of each item' })
  proofs: Record<string, unknown>[];
  @ApiProperty({ description: 'Ed25519 public key (hex) that verifies the signature' }) publicKey: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ valid, errors, itemsIncluded } checked now' })
  verification: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

/** Body of `POST /api/truthpacks/verify`. */
export class VerifyTruthPackRequest {
  @ApiProperty({ description: 'The pack (object or JSON text)', oneOf: [{ type: 'object' }, { type: 'string' }] })
  @IsDefined()
  @ValidateBy({
    name: 'isPackOrText',
    validator: {
      validate: (value) => typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value)),
      defaultMessage: () => 'pack must be an object or a JSON text',
    },
  })
  pack: unknown;

  @ApiPropertyOptional({ description: 'Public key (hex); default this server’s', pattern: '^[0-9a-fA-F]{64}$' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'publicKey must be 64 hex characters' })
  publicKey?: string;
}

export class VerificationView {
  @ApiProperty() valid: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) errors: Record<string, unknown>[];
}

@ApiTags('provenance')
@Controller('api')
export class TruthPackController {
  constructor(private readonly truthpacks: TruthPackService) {}

  @Get('jobs/:id/truthpack')
  @ApiErrors(404)
  @ApiOperation({ operationId: 'getJobTruthPack', summary: "The job's signed provenance record with inclusion proofs, verified now" })
  @ApiOkResponse({ type: TruthPackView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<TruthPackView> {
    const stored = await this.truthpacks.get(id);
    if (!stored)
      throw new CommonException(CommonErrorCode.NotFound, `Job ${id} has no TruthPack (it is sealed when a job finishes its pipeline)`);
    const proofs = this.truthpacks.proofs(stored.items);
    const verification = this.truthpacks.verify(stored.pack, stored.publicKey);
    return {
      jobId: id,
      root: stored.root,
      size: stored.size,
      pack: stored.pack,
      items: stored.items,
      proofs: proofs as never,
      publicKey: stored.publicKey,
      verification: { ...verification, itemsIncluded: this.truthpacks.verifyItems(stored.items, proofs, stored.root) },
      createdAt: stored.createdAt.toISOString(),
    };
  }

  @Post('truthpacks/verify')
  @HttpCode(200)
  @ApiOperation({ operationId: 'verifyTruthPack', summary: 'Verify a TruthPack: signature and Merkle root' })
  @ApiOkResponse({ type: VerificationView })
  verify(@Body() body: VerifyTruthPackRequest): VerificationView {
    return this.truthpacks.verify(body.pack, body.publicKey ?? this.truthpacks.publicKey) as never;
  }
}
