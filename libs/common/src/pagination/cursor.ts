import { CommonErrorCode, CommonException } from '../errors/domain.exception';

/** A page of results with the opaque cursor of the next page, or null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Encodes a keyset position (e.g. `[createdAt, id]`) as an opaque cursor. */
export function encodeCursor(position: unknown[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; a malformed one is a 400, not a crash. */
export function decodeCursor(cursor: string, arity: number): unknown[] {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(position) && position.length === arity) return position;
  } catch {
    // fall through to the error below
  }
  throw new CommonException(CommonErrorCode.InvalidCursor, 'The cursor is not one this API issued', { cursor });
}
