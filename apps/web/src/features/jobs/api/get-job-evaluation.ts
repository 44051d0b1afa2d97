import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id}/evaluation — null until the Evaluator has scored the job. */
export async function getJobEvaluation(id: string) {
  try {
    return data(await api.GET('/api/jobs/{id}/evaluation', { params: { path: { id } } }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export const jobEvaluationQueryOptions = (id: string) =>
  queryOptions({ queryKey: jobKeys.evaluation(id), queryFn: () => getJobEvaluation(id) });

export const useJobEvaluation = (id: string, enabled = true) => useQuery({ ...jobEvaluationQueryOptions(id), enabled });
