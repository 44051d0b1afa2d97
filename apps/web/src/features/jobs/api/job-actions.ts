import { type QueryClient, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { JobCaps, JobMode, JobView, RespondAction } from './types';

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

/** POST /api/jobs/{id}/retry — as it was, or in genius mode, or with a cap raised. */
export async function retryJob(input: string | { id: string; mode?: JobMode; caps?: Partial<JobCaps> }) {
  const { id, mode, caps } = typeof input === 'string' ? { id: input } : input;
  const body = mode || caps ? { ...(mode ? { mode } : {}), ...caps } : undefined;
  return data(await api.POST('/api/jobs/{id}/retry', { params: { path: { id } }, body }));
}

/** POST /api/jobs/{id}/respond — approve, reject, answer the job's question, or settle an escalation (genius mode, a raised cap). */
export async function respondToJob({
  id,
  action,
  answer,
  caps,
}: {
  id: string;
  action: RespondAction;
  answer?: string;
  caps?: Partial<JobCaps>;
}) {
  return data(await api.POST('/api/jobs/{id}/respond', { params: { path: { id } }, body: { action, answer, ...caps } }));
}

export const useCancelJob = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: cancelJob, onSuccess: (job) => refresh(client, job as JobView) });
};

export const useRetryJob = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: retryJob, onSuccess: (job) => refresh(client, job as JobView) });
};

export const useRespondToJob = ({ onDecided }: { onDecided?: (job: JobView, action: RespondAction) => void } = {}) => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: respondToJob,
    meta: { silent: true },
    onSuccess: (job, input) => {
      onDecided?.(job as JobView, input.action);
      return refresh(client, job as JobView);
    },
  });
};
