import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonErrorCode, CommonException } from '../errors/domain.exception';

/** One field's problems, as reported in a 400's details. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Deepest nesting of objects and arrays a request may carry; class-transformer recurses once per level. */
export const MAX_INPUT_DEPTH = 32;
/** Text problems beyond this many are not listed (a hostile body could have thousands). */
const MAX_LISTED_PROBLEMS = 20;

const NUL = /\u0000/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `text` cannot be stored exactly, or null when it can: PostgreSQL refuses NUL in text and
 * jsonb, and an unpaired UTF-16 surrogate has no UTF-8 form (it would be stored as U+FFFD).
 */
export function unstorableText(text: string): string | null {
  if (NUL.test(text)) return 'must not contain NUL (\\u0000) characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be well-formed Unicode (it has an unpaired surrogate)';
  return null;
}

/**
 * Walks a request value without recursion and lists strings (and keys) that cannot be stored as
 * given; `tooDeep` when it nests deeper than {@link MAX_INPUT_DEPTH} (then that is the one problem).
 */
export function inputProblems(value: unknown, root = ''): { problems: FieldProblem[]; tooDeep: boolean } {
  const problems: FieldProblem[] = [];
  const stack: { value: unknown; field: string; depth: number }[] = [{ value, field: root, depth: 0 }];
  const name = (field: string) => field || 'body';
  while (stack.length > 0) {
    const { value: current, field, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = unstorableText(current);
      if (problem && problems.length < MAX_LISTED_PROBLEMS) problems.push({ field: name(field), problems: [`${name(field)} ${problem}`] });
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      return { problems: [{ field: name(field), problems: [`${name(field)} is nested more than ${MAX_INPUT_DEPTH} levels deep`] }], tooDeep: true };
    }
    const isArray = Array.isArray(current);
    const entries: [string, unknown][] = isArray ? current.map((item, i) => [`[${i}]`, item]) : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i];
      const child = isArray ? `${field}${key}` : field ? `${field}.${key}` : key;
      const keyProblem = isArray ? null : unstorableText(key);
      if (keyProblem && problems.length < MAX_LISTED_PROBLEMS) problems.push({ field: name(child), problems: [`the name of ${name(child)} ${keyProblem}`] });
      stack.push({ value: inner, field: child, depth: depth + 1 });
    }
  }
  return { problems, tooDeep: false };
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function validationFailed(problems: FieldProblem[]): CommonException {
  const summary = problems.map((p) => p.problems.join('; ')).join('; ');
  return new CommonException(CommonErrorCode.ValidationFailed, `Invalid request: ${summary}`, { problems });
}

const PLAIN_TYPES: unknown[] = [Object, Array, String, Number, Boolean];

function isDto(metatype: unknown): boolean {
  return typeof metatype === 'function' && !PLAIN_TYPES.includes(metatype);
}

/** Class validation, after the checks no DTO can express: storable text and bounded nesting. */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' && metadata.type !== 'query' && metadata.type !== 'param') return super.transform(value, metadata);
    if (metadata.type === 'body' && metadata.data === undefined && isDto(metadata.metatype) && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw validationFailed([{ field: 'body', problems: ['the body must be a JSON object'] }]);
    }
    const { problems, tooDeep } = inputProblems(value, metadata.data ?? '');
    // class-transformer would recurse level by level into a deep value and overflow the stack.
    if (tooDeep) throw validationFailed(problems);
    let result: unknown;
    try {
      result = await super.transform(value, metadata);
    } catch (error) {
      const listed = error instanceof CommonException && error.code === CommonErrorCode.ValidationFailed ? (error.details as { problems: FieldProblem[] }).problems : undefined;
      if (problems.length > 0 && listed) throw validationFailed([...problems, ...listed]);
      throw error;
    }
    if (problems.length > 0) throw validationFailed(problems);
    return result;
  }
}

/** Global validation: unknown fields rejected, values converted, every problem listed in the 400. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
