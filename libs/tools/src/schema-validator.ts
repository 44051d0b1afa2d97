import type { JsonSchema } from './tool';

/**
 * Checks a value against the subset of JSON Schema the tool schemas use. Returns the first problem,
 * naming the field, or undefined when the value is valid.
 */
export function validateAgainstSchema(schema: JsonSchema, value: unknown, field = 'input'): string | undefined {
  if (schema.type) {
    const problem = checkType(schema.type, value, field);
    if (problem) return problem;
  }
  if (schema.enum && !schema.enum.includes(value as string | number | boolean)) {
    return `\`${field}\` must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `\`${field}\` must be at least ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `\`${field}\` must be at most ${schema.maximum}`;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      return `\`${field}\` must have at least ${schema.minLength} character(s)`;
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      return `\`${field}\` must have at most ${schema.maxLength} characters`;
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const problem = validateAgainstSchema(schema.items, value[i], `${field}[${i}]`);
      if (problem) return problem;
    }
  }
  if (isObject(value)) {
    const prefix = field === 'input' ? '' : `${field}.`;
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) return `\`${prefix}${key}\` is required`;
    }
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key];
      if (!childSchema) {
        if (schema.additionalProperties === false) return `\`${prefix}${key}\` is not a known field`;
        continue;
      }
      if (child === undefined) continue;
      const problem = validateAgainstSchema(childSchema, child, `${prefix}${key}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkType(type: NonNullable<JsonSchema['type']>, value: unknown, field: string): string | undefined {
  const good =
    type === 'object'
      ? isObject(value)
      : type === 'array'
        ? Array.isArray(value)
        : type === 'integer'
          ? Number.isInteger(value)
          : type === 'number'
            ? typeof value === 'number' && Number.isFinite(value)
            : typeof value === type;
  return good ? undefined : `\`${field}\` must be ${type === 'integer' || type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
