import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id}/truthpack — null while the job has none. */
export async function getJobTruthPack(id: string) {
  try {
    return data(await api.GET('/api/jobs/{id}/truthpack', { params: { path: { id } } }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export const jobTruthPackQueryOptions = (id: string) =>
  queryOptions({ queryKey: jobKeys.truthpack(id), queryFn: () => getJobTruthPack(id) });

export const useJobTruthPack = (id: string, enabled = true) => useQuery({ ...jobTruthPackQueryOptions(id), enabled });
