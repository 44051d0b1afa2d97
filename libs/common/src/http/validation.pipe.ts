import { ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonErrorCode, CommonException } from '../errors/domain.exception';

/** One field's problems, as reported in a 400's details. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Global validation: unknown fields rejected, values converted, every problem listed in the 400. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const problems = flatten(errors);
      const summary = problems.map((p) => p.problems.join('; ')).join('; ');
      return new CommonException(CommonErrorCode.ValidationFailed, `Invalid request: ${summary}`, { problems });
    },
  });
}
