import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id}/diff — the patch as unified diff text (empty when nothing changed). */
export async function getJobDiff(id: string): Promise<string> {
  try {
    return (data(await api.GET('/api/jobs/{id}/diff', { params: { path: { id } }, parseAs: 'text' })) as string | undefined) ?? '';
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return '';
    throw error;
  }
}

/** `stage`: the change a waiting job parked with (`pending`), or what it published (`published`); each is cached apart. */
export const jobDiffQueryOptions = (id: string, stage: 'pending' | 'published' = 'published') =>
  queryOptions({ queryKey: [...jobKeys.diff(id), stage], queryFn: () => getJobDiff(id) });

export const useJobDiff = (id: string, enabled = true, stage: 'pending' | 'published' = 'published') =>
  useQuery({ ...jobDiffQueryOptions(id, stage), enabled });
