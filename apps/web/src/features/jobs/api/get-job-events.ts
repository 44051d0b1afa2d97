import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { EventView } from './types';

/** GET /api/events?jobId= — the job's events so far, oldest first. */
export async function getJobEvents(jobId: string): Promise<EventView[]> {
  const page = data(await api.GET('/api/events', { params: { query: { jobId, limit: 1000 } as never } }));
  return page.items;
}

// The fetch merges into what the stream delivered meanwhile instead of replacing it.
export const jobEventsQueryOptions = (jobId: string) =>
  queryOptions({
    queryKey: jobKeys.events(jobId),
    queryFn: async ({ client }) => mergeEvents(client.getQueryData<EventView[]>(jobKeys.events(jobId)), await getJobEvents(jobId)),
    staleTime: Infinity,
  });

export const useJobEvents = (jobId: string) => useQuery(jobEventsQueryOptions(jobId));

/** Adds events to a list, once each (by id), keeping id order: the stream and the fetch overlap. */
export function mergeEvents(current: EventView[] | undefined, incoming: EventView[]): EventView[] {
  const byId = new Map<number, EventView>();
  for (const event of current ?? []) byId.set(event.id, event);
  for (const event of incoming) byId.set(event.id, event);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}
