import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { StagesResult } from '../../../native/binding';
import { TDLN, TdlnEngine } from './tdln.engine';
import { PIPELINE_STAGES } from './tdln.tokens';
import { RegistryView } from './dto/tdln.dto';

@ApiTags('tdln')
@Controller('api/tdln')
export class TdlnController {
  constructor(
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(PIPELINE_STAGES) private readonly stages: StagesResult,
  ) {}

  @Get('registry')
  @ApiOperation({
    operationId: 'tdlnRegistry',
    summary: 'Grammars, templates, policies, quality profiles and stages with versions and hashes',
  })
  @ApiOkResponse({ type: RegistryView })
  registry(): RegistryView {
    return { engine: this.tdln.info() as never, artefacts: this.tdln.registry() as never, stages: this.stages as never };
  }
}
