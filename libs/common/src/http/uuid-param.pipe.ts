import { Injectable, PipeTransform } from '@nestjs/common';
import { CommonErrorCode } from '../errors/domain.exception';
import { DomainException } from '../errors/domain.exception';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rejects a path id that is not a UUID with a 400 naming the parameter. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) {
      throw new DomainException(CommonErrorCode.ValidationFailed, `Invalid request: id must be a UUID`, {
        problems: [{ field: 'id', problems: ['id must be a UUID'] }],
      });
    }
    return value.toLowerCase();
  }
}
