import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BoolField, EnumField, JOB_MODES, JobMode, StringField } from '@app/common';

/** Body of `POST /api/tdln/parse`. */
export class ParseRequest {
  @StringField({ description: 'The request in plain words', minLength: 1, maxLength: 10_000, example: 'fix the bug in src/auth.ts' })
  text: string;

  @EnumField({ description: 'Mode to check the policy against (default: the mode the intent implies)', values: JOB_MODES, enumName: 'JobMode', optional: true })
  mode?: JobMode;

  @StringField({ description: 'Repository the request is for (a server path lets suggestions and the model name its real files)', optional: true, maxLength: 2_000 })
  repo?: string;

  @BoolField({ description: 'When the grammar abstains, also ask the model (a metered call; default false, so typing costs nothing)', optional: true })
  useModel?: boolean;
}

/** How a request is understood, and what the policy says of it — what POST /api/jobs would do. */
export class ParsePreviewView {
  @ApiProperty({ description: 'True when the request would become a job' }) ok: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'operation, slots, targets, mode, readOnly, constraints, confidence, LogLine span, proof, source' })
  intent?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'reason (too_vague | ambiguous | no_match), missing (operation | target | behaviour | choice), clarification, suggestions' })
  abstain?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'verdict, riskScore, riskLevel, violations (with the evidence in the request), remediation, policyHash, requestRulesHash' })
  policy?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'the error POST /api/jobs would answer with: code (unparseable_request, model_intent_invalid, policy_blocked, model_unavailable), message, details' })
  refusal?: Record<string, unknown>;
  @ApiProperty({ enum: ['grammar', 'model'], description: 'What read the request' }) source: 'grammar' | 'model';
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'the intake model call: model, requestId, promptHash, tokens, costCents, latencyMs, cached' })
  model?: Record<string, unknown>;
  @ApiProperty({ description: 'Whether a model would be asked when the grammar abstains' }) modelAvailable: boolean;
  @ApiProperty({ description: 'Time intake took, in milliseconds' }) latencyMs: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'engine version and grammar hash' }) engine: Record<string, unknown>;
}
