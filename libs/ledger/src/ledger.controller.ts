import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LedgerService } from './ledger.service';
import { LedgerEntryView, LedgerPage, LedgerVerificationView, ListLedgerQuery } from './dto/ledger.dto';

@ApiTags('ledger')
@Controller('api/ledger')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get()
  @ApiOperation({ operationId: 'listLedger', summary: 'Audit trail entries in chain order' })
  @ApiOkResponse({ type: LedgerPage })
  async list(@Query() query: ListLedgerQuery): Promise<LedgerPage> {
    const page = await this.ledger.list({ ...query, limit: query.limit ?? 100 });
    return { items: page.items.map(LedgerEntryView.of), nextCursor: page.nextCursor };
  }

  @Get('verify')
  @ApiOperation({ operationId: 'verifyLedger', summary: 'Walk the hash chain and report the first broken link' })
  @ApiOkResponse({ type: LedgerVerificationView })
  verify(): Promise<LedgerVerificationView> {
    return this.ledger.verify();
  }
}
