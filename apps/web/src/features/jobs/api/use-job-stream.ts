import { useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { throttle, useEventStream } from '@/lib/sse';
import { mergeEvents } from './get-job-events';
import { jobKeys } from './keys';
import type { EventView, JobView } from './types';

/**
 * Follows GET /api/jobs/{id}/stream: the snapshot replaces the cached job, every event joins the
 * cached timeline once (by id), a status change patches the job at once and refetches it. The
 * browser resumes after a drop with Last-Event-ID, so nothing is lost and nothing is doubled.
 */
export function useJobStream(id: string, run?: number) {
  const client = useQueryClient();
  const refetch = useMemo(
    () =>
      throttle(() => {
        void client.invalidateQueries({ queryKey: jobKeys.detail(id) });
      }, 1000),
    [client, id],
  );
  const add = (event: EventView) => client.setQueryData<EventView[]>(jobKeys.events(id), (current) => mergeEvents(current, [event]));
  return useEventStream(
    `/api/jobs/${encodeURIComponent(id)}/stream`,
    {
      snapshot: (job: JobView) => client.setQueryData(jobKeys.detail(id), job),
      event: (event: EventView) => {
        add(event);
        refetch();
      },
      status: (event: EventView) => {
        add(event);
        const to = (event.data as { to?: JobView['status'] }).to;
        if (to) client.setQueryData<JobView>(jobKeys.detail(id), (job) => (job ? { ...job, status: to } : job));
        refetch();
        void client.invalidateQueries({ queryKey: jobKeys.lists() });
      },
      complete: () => {
        for (const key of [
          jobKeys.detail(id),
          jobKeys.events(id),
          jobKeys.diff(id),
          jobKeys.truthpack(id),
          jobKeys.evaluation(id),
          jobKeys.ledger(id),
        ])
          void client.invalidateQueries({ queryKey: key });
      },
    },
    // The stream ends with its run; a retry's run is followed on a stream of its own.
    { closeOn: 'complete', generation: run },
  );
}
