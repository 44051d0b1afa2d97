import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TDLN, TdlnEngine } from '@app/tdln';
import { ParsePreviewView, ParseRequest } from './dto/intake.dto';
import { IntakeService } from './intake.service';

@ApiTags('tdln')
@Controller('api/tdln')
export class IntakeController {
  constructor(
    private readonly intake: IntakeService,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
  ) {}

  @Post('parse')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'previewParse',
    summary:
      'Preview how a request is understood and what the policy says of it, exactly as POST /api/jobs would (the model only when useModel is set)',
    description: 'A `repo` outside REPO_ALLOW is 400 repo_not_allowed, as for POST /api/jobs; its files are never listed.',
  })
  @ApiOkResponse({ type: ParsePreviewView })
  async parse(@Body() body: ParseRequest): Promise<ParsePreviewView> {
    const outcome = await this.intake.read({
      goal: body.text,
      repo: body.repo,
      mode: body.mode,
      source: 'preview',
      useModel: String(body.useModel) === 'true',
    });
    const { version, grammarHash, grammarVersion } = this.tdln.info();
    const engine = { version, grammarVersion, grammarHash };
    const modelAvailable = this.intake.modelAvailable;
    if (outcome.kind === 'understood') {
      const u = outcome.understanding;
      return {
        ok: true,
        intent: u.intent,
        policy: u.policy,
        source: u.source,
        model: u.model,
        modelAvailable,
        latencyMs: u.latencyMs,
        engine,
      };
    }
    const { code, message, details } = outcome.error;
    return {
      ok: false,
      abstain: outcome.abstain,
      policy: outcome.policy,
      refusal: { code, message, details: details as Record<string, unknown> | undefined },
      source: outcome.source,
      model: outcome.model,
      modelAvailable,
      latencyMs: outcome.latencyMs,
      engine,
    };
  }
}
