import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, createContext, useContext, useMemo } from 'react';
import { type StreamState, throttle, useEventStream } from '@/lib/sse';
import { jobKeys } from './keys';
import type { EventView, JobView } from './types';

/**
 * Keeps every cached job list live from GET /api/events/stream: a status event patches the job in
 * the cached lists at once and refetches them (a job may enter or leave a filter); a new job does too.
 */
export function useJobsLive() {
  const client = useQueryClient();
  const refetchLists = useMemo(() => throttle(() => void client.invalidateQueries({ queryKey: jobKeys.lists() }), 500), [client]);
  return useEventStream('/api/events/stream', {
    status: (event: EventView) => {
      const to = (event.data as { to?: JobView['status'] }).to;
      if (event.jobId && to) {
        client.setQueriesData<{ items: JobView[]; nextCursor: string | null }>({ queryKey: jobKeys.lists() }, (page) =>
          page ? { ...page, items: page.items.map((job) => (job.id === event.jobId ? { ...job, status: to } : job)) } : page,
        );
        // A retry's status names its run: a page on the job follows the new run.
        const run = (event.data as { run?: number }).run;
        client.setQueryData<JobView>(jobKeys.detail(event.jobId), (job) =>
          job ? { ...job, status: to, ...(typeof run === 'number' && { run }) } : job,
        );
      }
      refetchLists();
    },
    event: (event: EventView) => {
      if (event.type === 'job.created') refetchLists();
    },
  });
}

const LiveState = createContext<StreamState>('closed');

/** Runs the one jobs-list stream of the app (navigation counts and every job list stay live). */
export function JobsLiveProvider({ children }: { children: ReactNode }) {
  const state = useJobsLive();
  return <LiveState.Provider value={state}>{children}</LiveState.Provider>;
}

/** The connection state of the app's jobs stream, for a live indicator. */
export const useJobsLiveState = () => useContext(LiveState);
