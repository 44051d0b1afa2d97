import { queryOptions, useQuery } from '@tanstack/react-query';
import { type Schemas, api, data } from '@/lib/api/client';

export type Readiness = Schemas['ReadyView'];

/** GET /api/health/ready — the database, the migrations and the workers' test sandbox. */
export async function getReadiness(): Promise<Readiness> {
  return data(await api.GET('/api/health/ready'));
}

export const readinessQueryOptions = () =>
  queryOptions({ queryKey: ['health', 'ready'] as const, queryFn: getReadiness, staleTime: 60_000, meta: { silent: true } });

/** Read once when the dashboard opens, and again when the window regains focus. */
export const useReadiness = () => useQuery(readinessQueryOptions());
