import { describe, expect, it } from 'vitest';
import { CommonErrorCode, DomainException, errorKindOf, errorKinds, httpStatusOf } from './domain.exception';

describe('one domain exception', () => {
  it('takes its kind, and so its HTTP status, from the table its module declared', () => {
    enum ShelfErrorCode {
      BookNotFound = 'test_book_not_found',
      ShelfFull = 'test_shelf_full',
    }
    errorKinds<ShelfErrorCode>({ [ShelfErrorCode.BookNotFound]: 'not_found', [ShelfErrorCode.ShelfFull]: 'conflict' });
    const error = new DomainException(ShelfErrorCode.ShelfFull, 'The shelf is full', { shelf: 3 });
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.kind, httpStatusOf(error.kind), error.message, error.details]).toEqual([
      'test_shelf_full',
      'conflict',
      409,
      'The shelf is full',
      { shelf: 3 },
    ]);
    expect(new DomainException(CommonErrorCode.RateLimited, 'slow down').kind).toBe('rate_limited');
  });

  it('treats a code nobody declared as internal', () => {
    expect(new DomainException('test_never_declared', 'x').kind).toBe('internal');
  });

  it('asks the thrower to name the kind of a code two modules declared differently, and takes only a declared one', () => {
    errorKinds({ test_shared_code: 'validation' });
    errorKinds({ test_shared_code: 'not_found' });
    expect(() => new DomainException('test_shared_code', 'x')).toThrow(/means validation or not_found: its thrower must name the kind/);
    expect(new DomainException('test_shared_code', 'x', undefined, 'not_found').kind).toBe('not_found');
    expect(() => errorKindOf('test_shared_code', 'forbidden')).toThrow(/its thrower must name the kind/);
  });
});
