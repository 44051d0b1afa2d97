import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id} */
export async function getJob(id: string) {
  return data(await api.GET('/api/jobs/{id}', { params: { path: { id } } }));
}

export const jobQueryOptions = (id: string) => queryOptions({ queryKey: jobKeys.detail(id), queryFn: () => getJob(id) });

export const useJob = (id: string) => useQuery(jobQueryOptions(id));
