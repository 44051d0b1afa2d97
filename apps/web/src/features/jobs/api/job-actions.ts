import { type QueryClient, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { JobView, RespondAction } from './types';

const refresh = (client: QueryClient, job: JobView) => {
  client.setQueryData(jobKeys.detail(job.id), job);
  return Promise.all([
    client.invalidateQueries({ queryKey: jobKeys.lists() }),
    client.invalidateQueries({ queryKey: jobKeys.ledger(job.id) }),
  ]);
};

/** POST /api/jobs/{id}/cancel */
export async function cancelJob(id: string) {
  return data(await api.POST('/api/jobs/{id}/cancel', { params: { path: { id } } }));
}

/** POST /api/jobs/{id}/retry */
export async function retryJob(id: string) {
  return data(await api.POST('/api/jobs/{id}/retry', { params: { path: { id } } }));
}

/** POST /api/jobs/{id}/respond — approve, reject, or answer the job's question. */
export async function respondToJob({ id, action, answer }: { id: string; action: RespondAction; answer?: string }) {
  return data(await api.POST('/api/jobs/{id}/respond', { params: { path: { id } }, body: { action, answer } }));
}

export const useCancelJob = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: cancelJob, onSuccess: (job) => refresh(client, job as JobView) });
};

export const useRetryJob = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: retryJob, onSuccess: (job) => refresh(client, job as JobView) });
};

export const useRespondToJob = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: respondToJob, meta: { silent: true }, onSuccess: (job) => refresh(client, job as JobView) });
};
