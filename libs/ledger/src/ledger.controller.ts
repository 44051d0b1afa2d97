import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, DomainException, Public } from '@app/common';
import { LedgerService } from './ledger.service';
import { LedgerErrorCode } from './ledger.errors';
import {
  ConsistencyProofQuery,
  ConsistencyProofView,
  InclusionProofQuery,
  InclusionProofView,
  LedgerEntryView,
  LedgerKeyView,
  LedgerPage,
  LedgerVerificationView,
  ListLedgerQuery,
  TreeHeadView,
  VerifyLedgerQuery,
} from './dto/ledger.dto';

/** How long `GET /api/ledger/tree-head` waits for entries committed before it to be sequenced. */
const TREE_HEAD_WAIT_MS = 2_000;

@ApiTags('ledger')
@Controller('api/ledger')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get()
  @ApiOperation({ operationId: 'listLedger', summary: 'Audit trail entries in id order' })
  @ApiOkResponse({ type: LedgerPage })
  async list(@Query() query: ListLedgerQuery): Promise<LedgerPage> {
    const page = await this.ledger.list({ ...query, limit: query.limit ?? 100 });
    return { items: page.items.map(LedgerEntryView.of), nextCursor: page.nextCursor };
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'verifyLedger',
    summary: 'Recompute every leaf and signed tree head (and the old chain) and report the first bad entry',
  })
  @ApiOkResponse({ type: LedgerVerificationView })
  @ApiErrors(400)
  verify(@Query() query: VerifyLedgerQuery): Promise<LedgerVerificationView> {
    if ((query.treeSize === undefined) !== (query.rootHash === undefined)) {
      throw new DomainException(LedgerErrorCode.InvalidRange, 'treeSize and rootHash go together');
    }
    const trusted = query.treeSize !== undefined ? { treeSize: query.treeSize, rootHash: query.rootHash! } : undefined;
    return this.ledger.verify({ trusted });
  }

  @Get('tree-head')
  @ApiOperation({
    operationId: 'getLedgerTreeHead',
    summary: 'The latest signed tree head (including entries committed before the call unless the sequencer lags by more than 2 s)',
  })
  @ApiOkResponse({ type: TreeHeadView })
  @ApiErrors(404)
  async treeHead(): Promise<TreeHeadView> {
    // Entries committed before the call are in it, unless the sequencer lags: then the latest there is.
    const head = await this.ledger.waitForCommitted(TREE_HEAD_WAIT_MS).catch(async (error: unknown) => {
      if (error instanceof DomainException && error.code === LedgerErrorCode.SequencingTimeout) return this.ledger.latestTreeHead();
      throw error;
    });
    if (!head) throw new DomainException(LedgerErrorCode.TreeHeadNotFound, 'the ledger is empty: no tree head yet');
    return TreeHeadView.of(head);
  }

  @Get('key')
  @Public()
  @ApiOperation({ operationId: 'getLedgerKey', summary: 'The Ed25519 key that signs tree heads (public; the TruthPack key)' })
  @ApiOkResponse({ type: LedgerKeyView })
  key(): LedgerKeyView {
    return this.ledger.publicKey();
  }

  @Get('proof/inclusion')
  @ApiOperation({ operationId: 'getLedgerInclusionProof', summary: 'Proof that an entry is a leaf of a signed tree head' })
  @ApiOkResponse({ type: InclusionProofView })
  @ApiErrors(400, 404, 409)
  async inclusion(@Query() query: InclusionProofQuery): Promise<InclusionProofView> {
    return InclusionProofView.of(await this.ledger.proveInclusion(query.entry, query.size));
  }

  @Get('proof/consistency')
  @ApiOperation({ operationId: 'getLedgerConsistencyProof', summary: 'Proof that an older signed tree head is a prefix of a newer one' })
  @ApiOkResponse({ type: ConsistencyProofView })
  @ApiErrors(400, 404)
  async consistency(@Query() query: ConsistencyProofQuery): Promise<ConsistencyProofView> {
    return ConsistencyProofView.of(await this.ledger.proveConsistency(query.from, query.to));
  }
}
