import { ApiProperty } from '@nestjs/swagger';

/** The engine's versioned, content-addressed artefacts. */
export class RegistryView {
  @ApiProperty({ type: 'object', additionalProperties: true }) engine: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) artefacts: Record<string, unknown>[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the pipeline stages in force' }) stages: Record<string, unknown>;
}
