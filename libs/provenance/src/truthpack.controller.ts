import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { ApiErrors, CommonErrorCode, DomainException, Public, UuidParamPipe } from '@app/common';
import { LedgerErrorCode, LedgerService, TreeHeadView } from '@app/ledger';
import { JobsService } from '@app/jobs';
import { TruthPackCheck, TruthPackService } from './truthpack.service';

const PACK_FORMATS = ['bound', 'legacy'] as const;
const KEY_TRUSTS = ['trusted', 'other_key', 'unchecked'] as const;

/** The statement a TruthPack's signature covers (RFC 8785 canonical JSON of these fields). */
export class TruthPackStatementView {
  @ApiProperty({ description: 'tdln-truthpack-statement/1' }) type: string;
  @ApiProperty({ description: 'The job the pack seals' }) jobId: string;
  @ApiProperty({ description: 'The repository the job ran on' }) repository: string;
  @ApiProperty({ description: 'Commit the job started from' }) baseCommit: string;
  @ApiProperty({ description: 'Commit its work ends at: the commit pushed, whose AICT-TruthPack trailer names the root' })
  headCommit: string;
  @ApiProperty({ description: 'Merkle root (hex)' }) root: string;
  @ApiProperty() itemCount: number;
  @ApiProperty({ description: 'When the pack was sealed (UTC)' }) sealedAt: string;
  @ApiProperty({ description: 'Id of the signing key' }) keyId: string;
}

/** One problem found while verifying. */
export class TruthPackProblemView {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: String, nullable: true }) path?: string | null;
}

/** The verdict on a TruthPack, checked against a trusted key (this server's current key unless another was given). */
export class TruthPackVerificationView {
  @ApiProperty({ description: 'Intact and signed by the trusted key (and, for a stored pack, signed for its own job)' }) valid: boolean;
  @ApiProperty({ description: 'Items, leaves, root and statement agree and the signature holds under the key the pack names' })
  intact: boolean;
  @ApiProperty({
    enum: PACK_FORMATS,
    enumName: 'TruthPackFormat',
    description: 'bound: the signature covers job, repository, commits, root, item count, time and key id; legacy: the root alone',
  })
  format: (typeof PACK_FORMATS)[number];
  @ApiProperty({ enum: KEY_TRUSTS, enumName: 'TruthPackKeyTrust', description: 'Whether the trusted key signed it' })
  keyTrust: (typeof KEY_TRUSTS)[number];
  @ApiProperty({ description: 'The key the pack names (hex)' }) publicKey: string;
  @ApiProperty({ description: 'Its key id' }) keyId: string;
  @ApiProperty({ description: "Id of this server's current key" }) serverKeyId: string;
  @ApiProperty({ description: "Whether this server's current key signed it" }) signedByServerKey: boolean;
  @ApiPropertyOptional({ type: TruthPackStatementView, nullable: true }) statement?: TruthPackStatementView | null;
  @ApiProperty({ type: [TruthPackProblemView] }) errors: TruthPackProblemView[];
}

/** The verdict on a stored pack, with its items' inclusion. */
export class StoredTruthPackVerificationView extends TruthPackVerificationView {
  @ApiProperty({ description: 'Every item hashes to its leaf under the root' }) itemsIncluded: boolean;
}

/** A job's TruthPack, its items and their inclusion proofs, and the verdict of checking it now. */
export class TruthPackView {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ description: 'Merkle root (RFC 6962, hex)' }) root: string;
  @ApiProperty() size: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The signed pack: version, algorithm, root, size, leaves, items, publicKey, keyId, statement, signature',
  })
  pack: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Provenance items, in leaf order' })
  items: Record<string, unknown>[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Inclusion proof of each item' })
  proofs: Record<string, unknown>[];
  @ApiProperty({ description: 'Ed25519 public key (hex) the pack names as its signer; trust it only if it is a key you know' })
  publicKey: string;
  @ApiProperty({ type: StoredTruthPackVerificationView, description: "Checked now, against this server's current key" })
  verification: StoredTruthPackVerificationView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    type: TreeHeadView,
    nullable: true,
    description:
      'The first signed ledger tree head that includes every ledger entry the job has when read (prove an entry with GET /api/ledger/proof/inclusion?size=<treeSize>); null if the sequencer lags too far behind',
  })
  ledgerTreeHead: TreeHeadView | null;
}

/** This server's TruthPack verification key. */
export class TruthPackKeyView {
  @ApiProperty({ enum: ['ed25519'] }) algorithm: 'ed25519';
  @ApiProperty({ description: 'Ed25519 public key, hex' }) publicKey: string;
  @ApiProperty({ description: 'Key id: the first 16 hex digits of SHA-256 of the key' }) keyId: string;
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

  @ApiPropertyOptional({
    description: 'A public key (hex) to trust instead of this server’s current one, e.g. a key from before a rotation',
    pattern: '^[0-9a-fA-F]{64}$',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'publicKey must be 64 hex characters' })
  publicKey?: string;
}

const view = (check: TruthPackCheck): TruthPackVerificationView => ({
  ...check,
  statement: check.statement ?? null,
  errors: check.errors.map((e) => ({ code: e.code, message: e.message, path: e.path ?? null })),
});

/** How long reading a pack waits for the ledger sequencer to integrate the job's entries. */
const LEDGER_WAIT_MS = 5_000;

@ApiTags('provenance')
@Controller('api')
export class TruthPackController {
  constructor(
    private readonly truthpacks: TruthPackService,
    private readonly jobs: JobsService,
    private readonly ledger: LedgerService,
  ) {}

  @Get('jobs/:id/truthpack')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'getJobTruthPack',
    summary: "The job's signed provenance record with inclusion proofs, verified now against this server's key and the job",
  })
  @ApiOkResponse({ type: TruthPackView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<TruthPackView> {
    const stored = await this.truthpacks.get(id);
    if (!stored)
      throw new DomainException(CommonErrorCode.NotFound, `Job ${id} has no TruthPack (it is sealed when a job finishes its pipeline)`);
    const job = await this.jobs.get(id);
    const proofs = this.truthpacks.proofs(stored.items);
    const treeHead = await this.ledger.treeHeadForJob(id, LEDGER_WAIT_MS).catch((error: unknown) => {
      if (error instanceof DomainException && error.code === LedgerErrorCode.SequencingTimeout) return null;
      throw error;
    });
    return {
      jobId: id,
      root: stored.root,
      size: stored.size,
      pack: stored.pack,
      items: stored.items,
      proofs: proofs as never,
      publicKey: stored.publicKey,
      verification: {
        ...view(this.truthpacks.verifyStored(stored, job)),
        itemsIncluded: this.truthpacks.verifyItems(stored.items, proofs, stored.root),
      },
      createdAt: stored.createdAt.toISOString(),
      ledgerTreeHead: treeHead ? TreeHeadView.of(treeHead) : null,
    };
  }

  @Get('truthpacks/key')
  @Public()
  @ApiOperation({
    operationId: 'getTruthPackKey',
    summary: "This server's TruthPack verification key (public): pin it to verify packs offline (aict login stores it)",
  })
  @ApiOkResponse({ type: TruthPackKeyView })
  key(): TruthPackKeyView {
    return { ...this.truthpacks.key };
  }

  @Post('truthpacks/verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'verifyTruthPack',
    summary: "Verify a TruthPack against this server's current key (or a given one): consistency, statement, signature",
  })
  @ApiOkResponse({ type: TruthPackVerificationView })
  verify(@Body() body: VerifyTruthPackRequest): TruthPackVerificationView {
    return view(this.truthpacks.verify(body.pack, body.publicKey));
  }
}
