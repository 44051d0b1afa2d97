import { CommonErrorCode } from '../errors/domain.exception';
import { DomainException } from '../errors/domain.exception';

/** A page of results with the opaque cursor of the next page, or null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What one part of a keyset position holds: an ISO timestamp, a UUID, or a non-negative integer (ids, sequence numbers). */
export type CursorPart = 'timestamp' | 'uuid' | 'integer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fits(value: unknown, part: CursorPart): boolean {
  switch (part) {
    case 'timestamp':
      // Exactly what Date#toISOString wrote: anything else (31 February, year 0) could make PostgreSQL fail.
      return typeof value === 'string' && value >= '1970' && Number.isFinite(Date.parse(value)) && new Date(value).toISOString() === value;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value);
    case 'integer':
      return (
        (typeof value === 'number' || (typeof value === 'string' && /^\d{1,15}$/.test(value))) &&
        Number.isSafeInteger(Number(value)) &&
        Number(value) >= 0
      );
  }
}

/** Encodes a keyset position (e.g. `[createdAt, id]`) as an opaque cursor. */
export function encodeCursor(position: unknown[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} whose parts are of the given kinds; a malformed or
 * forged one is a 400, never a value the database would choke on.
 */
export function decodeCursor(cursor: string, shape: readonly CursorPart[]): unknown[] {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(position) && position.length === shape.length && shape.every((part, i) => fits(position[i], part))) return position;
  } catch {
    // fall through to the error below
  }
  throw new DomainException(CommonErrorCode.InvalidCursor, 'The cursor is not one this API issued', { cursor });
}
