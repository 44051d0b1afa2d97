import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id}/evaluation — null until the Evaluator has scored the job. */
export async function getJobEvaluation(id: string, run?: number) {
  try {
    return data(await api.GET('/api/jobs/{id}/evaluation', { params: { path: { id }, query: run ? { run } : {} } }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Each run (attempt) has its own evaluation, cached apart: a retry never shows the earlier run's scores. */
export const jobEvaluationQueryOptions = (id: string, run?: number) =>
  queryOptions({ queryKey: [...jobKeys.evaluation(id), run ?? 'latest'], queryFn: () => getJobEvaluation(id, run) });

export const useJobEvaluation = (id: string, run?: number, enabled = true) => useQuery({ ...jobEvaluationQueryOptions(id, run), enabled });
