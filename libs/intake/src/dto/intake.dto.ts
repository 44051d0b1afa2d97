import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BoolField, EnumField, JOB_MODES, JobMode, StringField } from '@app/common';
import { AbstainView, IntentView, PolicySummaryView } from '@app/tdln';

/** Body of `POST /api/tdln/parse`. */
export class ParseRequest {
  @StringField({ description: 'The request in plain words', minLength: 1, maxLength: 10_000, example: 'fix the bug in src/auth.ts' })
  text: string;

  @EnumField({
    description: 'Mode to check the policy against (default: the mode the intent implies)',
    values: JOB_MODES,
    enumName: 'JobMode',
    optional: true,
  })
  mode?: JobMode;

  @StringField({
    description: 'Repository the request is for (a server path lets suggestions and the model name its real files)',
    optional: true,
    maxLength: 2_000,
  })
  repo?: string;

  @BoolField({
    description: 'When the grammar abstains, also ask the model (a metered call; default false, so typing costs nothing)',
    optional: true,
  })
  useModel?: boolean;
}

/** The intake model call behind a model-read request (or a model's question). */
export class IntakeModelCallView {
  @ApiProperty() model: string;
  @ApiProperty({ description: "The provider's request id" }) requestId: string;
  @ApiProperty({ description: 'SHA-256 of the prompt' }) promptHash: string;
  @ApiProperty() tokens: number;
  @ApiProperty() costCents: number;
  @ApiProperty() latencyMs: number;
  @ApiProperty({ description: 'Answered from the intake cache: no call was made and nothing was charged' }) cached: boolean;
}

/** The error POST /api/jobs would answer with. */
export class IntakeRefusalView {
  @ApiProperty({ description: 'unparseable_request, model_intent_invalid, policy_blocked or model_unavailable' }) code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'As in the error envelope: clarification, suggestions, violations, reason',
  })
  details?: Record<string, unknown>;
}

/** The engine's version and the grammar that read the request. */
export class IntakeEngineView {
  @ApiProperty() version: string;
  @ApiProperty() grammarVersion: string;
  @ApiProperty() grammarHash: string;
}

/** How a request is understood, and what the policy says of it — what POST /api/jobs would do. */
export class ParsePreviewView {
  @ApiProperty({ description: 'True when the request would become a job' }) ok: boolean;
  @ApiPropertyOptional({ type: IntentView, description: 'The request understood (when ok)' }) intent?: IntentView;
  @ApiPropertyOptional({ type: AbstainView, description: 'Why the request could not be read, the question to ask and rephrasings' })
  abstain?: AbstainView;
  @ApiPropertyOptional({ type: PolicySummaryView, description: "The policy's verdict, with the violations and the words that fired them" })
  policy?: PolicySummaryView;
  @ApiPropertyOptional({ type: IntakeRefusalView, description: 'The error POST /api/jobs would answer with (when not ok)' })
  refusal?: IntakeRefusalView;
  @ApiProperty({ enum: ['grammar', 'model'], enumName: 'IntentSourceKind', description: 'What read the request' }) source:
    'grammar' | 'model';
  @ApiPropertyOptional({ type: IntakeModelCallView, description: 'The intake model call, when the model was asked' })
  model?: IntakeModelCallView;
  @ApiProperty({ description: 'Whether a model would be asked when the grammar abstains' }) modelAvailable: boolean;
  @ApiProperty({ description: 'Time intake took, in milliseconds' }) latencyMs: number;
  @ApiProperty({ type: IntakeEngineView }) engine: IntakeEngineView;
}
