import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { CreateJobRequest } from './types';

/** POST /api/jobs */
export async function createJob(input: CreateJobRequest) {
  return data(await api.POST('/api/jobs', { body: input }));
}

/** Creates a job; the job lists refetch and the new job is cached for its detail page. */
export const useCreateJob = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: createJob,
    meta: { silent: true },
    onSuccess: (job) => {
      client.setQueryData(jobKeys.detail(job.id), job);
      return client.invalidateQueries({ queryKey: jobKeys.lists() });
    },
  });
};
