import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { JobMode, JobStatus } from './types';

export interface JobFilters {
  status?: JobStatus;
  mode?: JobMode;
  limit?: number;
}

/** GET /api/jobs — the jobs people asked for (internal ones, such as evaluations, are shown on their parent job), newest first. */
export async function getJobs(filters: JobFilters = {}) {
  return data(
    await api.GET('/api/jobs', {
      params: { query: { limit: filters.limit ?? 50, status: filters.status, mode: filters.mode } },
    }),
  );
}

export const jobsQueryOptions = (filters: JobFilters = {}) =>
  queryOptions({ queryKey: jobKeys.list(filters), queryFn: () => getJobs(filters) });

export const useJobs = (filters: JobFilters = {}) => useQuery(jobsQueryOptions(filters));
