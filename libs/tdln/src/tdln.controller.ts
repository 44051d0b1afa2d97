import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { StagesResult } from '../../../native/binding';
import { TDLN, TdlnEngine } from './tdln.engine';
import { PIPELINE_STAGES } from './tdln.tokens';
import { ParsePreviewView, ParseRequest, RegistryView } from './dto/tdln.dto';

@ApiTags('tdln')
@Controller('api/tdln')
export class TdlnController {
  constructor(
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(PIPELINE_STAGES) private readonly stages: StagesResult,
  ) {}

  @Post('parse')
  @HttpCode(200)
  @ApiOperation({ operationId: 'previewParse', summary: 'Preview how a request is understood (tdln-in) and what the policy says of it' })
  @ApiOkResponse({ type: ParsePreviewView })
  parse(@Body() body: ParseRequest): ParsePreviewView {
    const parsed = this.tdln.parseIntent(body.text);
    const { version, grammarHash, grammarVersion } = this.tdln.info();
    const engine = { version, grammarVersion, grammarHash };
    if (!parsed.intent) return { ok: false, abstain: parsed.abstain as never, engine };
    const intent = parsed.intent;
    const policy = this.tdln.evaluatePolicy({
      mode: body.mode ?? intent.mode,
      intent: { operation: intent.operation, readOnly: intent.readOnly, targets: intent.targets },
    });
    return { ok: true, intent: intent as never, policy: policy as never, engine };
  }

  @Get('registry')
  @ApiOperation({ operationId: 'tdlnRegistry', summary: 'Grammars, templates, policies, quality profiles and stages with versions and hashes' })
  @ApiOkResponse({ type: RegistryView })
  registry(): RegistryView {
    return { engine: this.tdln.info() as never, artefacts: this.tdln.registry() as never, stages: this.stages as never };
  }
}
