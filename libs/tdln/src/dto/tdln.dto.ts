import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EnumField, JOB_MODES, JobMode, StringField } from '@app/common';

/** Body of `POST /api/tdln/parse`. */
export class ParseRequest {
  @StringField({ description: 'The request in plain words', minLength: 1, maxLength: 10_000, example: 'fix the bug in src/auth.ts' })
  text: string;

  @EnumField({ description: 'Mode to check the policy against (default: the mode the intent implies)', values: JOB_MODES, enumName: 'JobMode', optional: true })
  mode?: JobMode;
}

/** How a request is understood, and what the policy says of it. */
export class ParsePreviewView {
  @ApiProperty({ description: 'True when the request parsed into an intent' }) ok: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'operation, slots, targets, mode, readOnly, constraints, confidence, LogLine span, proof' })
  intent?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'reason (too_vague | ambiguous | dangerous | no_match), clarification, suggestions' })
  abstain?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'verdict, riskScore, riskLevel, violations, remediation, policyHash' })
  policy?: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'engine version and grammar hash' }) engine: Record<string, unknown>;
}

/** The engine's versioned, content-addressed artefacts. */
export class RegistryView {
  @ApiProperty({ type: 'object', additionalProperties: true }) engine: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) artefacts: Record<string, unknown>[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the pipeline stages in force' }) stages: Record<string, unknown>;
}
