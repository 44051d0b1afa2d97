import { ValueTransformer } from 'typeorm';

/** Reads PostgreSQL bigint/numeric columns (strings in `pg`) as JS numbers. */
export const numberTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};

/**
 * Rows of a raw `query()` result. TypeORM's postgres driver returns `[rows, affected]` for
 * UPDATE/DELETE ... RETURNING but plain rows for SELECT and INSERT.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
