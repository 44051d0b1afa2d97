import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonErrorCode } from '../errors/domain.exception';
import { DomainException } from '../errors/domain.exception';

/** One field's problems, as reported in a 400's details. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Deepest nesting of objects and arrays a request may carry; class-transformer recurses once per level. */
export const MAX_INPUT_DEPTH = 32;
/** Most fields one object of a request may have; class-validator's unknown-field check is quadratic in them. */
export const MAX_INPUT_FIELDS = 1_000;
/** Problems beyond this many are not listed (a hostile body could have thousands). */
const MAX_LISTED_PROBLEMS = 20;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `text` cannot be stored exactly, or null when it can: PostgreSQL refuses NUL in text and
 * jsonb, and an unpaired UTF-16 surrogate has no UTF-8 form (it would be stored as U+FFFD).
 */
export function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be well-formed Unicode (it has an unpaired surrogate)';
  return null;
}

interface Visit {
  value: unknown;
  depth: number;
  parent?: Visit;
  key?: string | number;
}

function fieldOf(visit: Visit, root: string): string {
  const parts: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) parts.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  const path = root + parts.reverse().join('');
  return (path.startsWith('.') ? path.slice(1) : path) || 'body';
}

/**
 * Walks a request value without recursion and lists strings (and field names) that cannot be
 * stored as given. `refuse` when the value is too big to hand to class validation at all: nested
 * deeper than {@link MAX_INPUT_DEPTH}, or an object with more than {@link MAX_INPUT_FIELDS} fields.
 */
export function inputProblems(value: unknown, root = ''): { problems: FieldProblem[]; refuse: boolean } {
  const problems: FieldProblem[] = [];
  const note = (field: string, problem: string) => problems.length < MAX_LISTED_PROBLEMS && problems.push({ field, problems: [problem] });
  const stack: Visit[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const current = visit.value;
    if (typeof current === 'string') {
      const problem = unstorableText(current);
      if (problem) note(fieldOf(visit, root), `${fieldOf(visit, root)} ${problem}`);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const field = () => fieldOf(visit, root);
    if (visit.depth >= MAX_INPUT_DEPTH)
      return { problems: [{ field: field(), problems: [`${field()} is nested more than ${MAX_INPUT_DEPTH} levels deep`] }], refuse: true };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const item: unknown = current[i];
        if (typeof item === 'string' || (typeof item === 'object' && item !== null))
          stack.push({ value: item, depth: visit.depth + 1, parent: visit, key: i });
      }
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > MAX_INPUT_FIELDS)
      return { problems: [{ field: field(), problems: [`${field()} has more than ${MAX_INPUT_FIELDS} fields`] }], refuse: true };
    for (let i = keys.length - 1; i >= 0; i--) {
      const child: Visit = { value: (current as Record<string, unknown>)[keys[i]], depth: visit.depth + 1, parent: visit, key: keys[i] };
      const keyProblem = unstorableText(keys[i]);
      if (keyProblem) note(fieldOf(child, root), `the name of ${fieldOf(child, root)} ${keyProblem}`);
      stack.push(child);
    }
  }
  return { problems, refuse: false };
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function validationFailed(all: FieldProblem[]): DomainException {
  // Hundreds of unknown fields would make a response larger than the request; the first ones say enough.
  const problems = all.slice(0, MAX_LISTED_PROBLEMS);
  const more = all.length > problems.length ? `; and ${all.length - problems.length} more` : '';
  const summary = problems.map((p) => p.problems.join('; ')).join('; ');
  return new DomainException(CommonErrorCode.ValidationFailed, `Invalid request: ${summary}${more}`, { problems });
}

const PLAIN_TYPES: unknown[] = [Object, Array, String, Number, Boolean];

function isDto(metatype: unknown): boolean {
  return typeof metatype === 'function' && !PLAIN_TYPES.includes(metatype);
}

/** Class validation, after the checks no DTO can express: storable text and bounded nesting. */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' && metadata.type !== 'query' && metadata.type !== 'param') return super.transform(value, metadata);
    if (
      metadata.type === 'body' &&
      metadata.data === undefined &&
      isDto(metadata.metatype) &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw validationFailed([{ field: 'body', problems: ['the body must be a JSON object'] }]);
    }
    const { problems, refuse } = inputProblems(value, metadata.data ?? '');
    // class-transformer would overflow the stack on a deep value; class-validator takes seconds on a wide one.
    if (refuse) throw validationFailed(problems);
    let result: unknown;
    try {
      result = await super.transform(value, metadata);
    } catch (error) {
      const listed =
        error instanceof DomainException && error.code === CommonErrorCode.ValidationFailed
          ? (error.details as { problems: FieldProblem[] }).problems
          : undefined;
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
