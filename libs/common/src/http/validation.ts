import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

// Composite decorators: each validates a field and documents it in OpenAPI at once.

interface Common {
  description: string;
  optional?: boolean;
  /** Accept `null` as "not set" (PATCH-like bodies). */
  nullable?: boolean;
  example?: unknown;
}

function optionality(options: Common, apiOptions: Record<string, unknown>) {
  if (!options.optional) return [ApiProperty({ ...apiOptions, description: options.description, example: options.example })];
  // Absent is "not set"; null is only when the field says so (otherwise it is validated, and refused).
  const absent = options.nullable ? IsOptional() : ValidateIf((_, value) => value !== undefined);
  return [
    absent,
    ApiPropertyOptional({
      ...apiOptions,
      nullable: options.nullable || undefined,
      description: options.description,
      example: options.example,
    }),
  ];
}

/** A trimmed-length-checked string. */
export function StringField(options: Common & { minLength?: number; maxLength: number; pattern?: RegExp; patternHint?: string }) {
  const decorators = [
    ...optionality(options, { type: String, minLength: options.minLength, maxLength: options.maxLength, pattern: options.pattern?.source }),
    IsString(),
    MaxLength(options.maxLength),
  ];
  if (options.minLength) decorators.push(MinLength(options.minLength), IsNotEmpty());
  if (options.pattern)
    decorators.push(Matches(options.pattern, { message: options.patternHint ?? `$property must match ${options.pattern}` }));
  return applyDecorators(...decorators);
}

/** An integer within bounds; query-string values are converted. */
export function IntField(options: Common & { min: number; max: number }) {
  return applyDecorators(
    ...optionality(options, { type: 'integer', minimum: options.min, maximum: options.max }),
    Type(() => Number),
    IsInt(),
    Min(options.min),
    Max(options.max),
  );
}

/** One of a fixed list of string values. */
export function EnumField(options: Common & { values: readonly string[]; enumName: string }) {
  return applyDecorators(
    ...optionality(options, { enum: options.values, enumName: options.enumName }),
    IsIn(options.values as string[], { message: `$property must be one of: ${options.values.join(', ')}` }),
  );
}

/** A UUID. */
export function UuidField(options: Common) {
  return applyDecorators(...optionality(options, { type: String, format: 'uuid' }), IsUUID('all'));
}

/** A boolean; query strings "true"/"false" are converted. */
export function BoolField(options: Common) {
  return applyDecorators(
    ...optionality(options, { type: Boolean }),
    Type(() => String),
    ValidateIf((_, v) => v !== undefined),
    IsIn(['true', 'false', true, false]),
  );
}
