import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEventStream } from '@/lib/sse';
import { type Schemas, api, data } from '@/lib/api/client';

type Bucket = {
  bucket: string;
  jobs: number;
  succeeded: number;
  failed: number;
  tokens: number;
  costCents: number;
  p50DurationMs: number | null;
};
type Rates = { total: number; perJob: number | null; perSucceededJob: number | null };
/**
 * GET /api/metrics. The server documents the nested groups as free-form objects (their fields only
 * in descriptions), so their fields are spelled out here; the top level comes from the document.
 */
export type MetricsView = Omit<
  Schemas['MetricsView'],
  'jobs' | 'durationMs' | 'tokens' | 'costCents' | 'queue' | 'workers' | 'evaluations' | 'series'
> & {
  jobs: { byStatus: Record<string, number>; byMode: Record<string, number>; total: number };
  durationMs: { p50: number | null; p95: number | null };
  tokens: Rates;
  costCents: Rates;
  queue: { depth: number; oldestQueuedAgeMs: number | null };
  workers: { alive: number; sandbox?: { ok: number; disabled: number; unavailable: number } };
  evaluations: {
    count: number;
    correctness: number | null;
    efficiency: number | null;
    honesty: number | null;
    safety: number | null;
    overall: number | null;
  };
  series: { hourly: Bucket[]; daily: Bucket[] };
};

export const metricsKeys = { all: ['metrics'] as const, since: (since?: string) => ['metrics', { since: since ?? null }] as const };

/** GET /api/metrics?since= */
export async function getMetrics(since?: string): Promise<MetricsView> {
  return data(await api.GET('/api/metrics', { params: { query: { since } } })) as MetricsView;
}

export const metricsQueryOptions = (since?: string) =>
  queryOptions({ queryKey: metricsKeys.since(since), queryFn: () => getMetrics(since) });

export const useMetrics = (since?: string) => useQuery(metricsQueryOptions(since));

/** Feeds GET /api/metrics/stream into the cache (the default window) and refetches other windows. */
export function useMetricsLive(since?: string) {
  const client = useQueryClient();
  return useEventStream('/api/metrics/stream', {
    metrics: (metrics: MetricsView) => {
      if (!since) client.setQueryData(metricsKeys.since(undefined), metrics);
      else void client.invalidateQueries({ queryKey: metricsKeys.since(since) });
    },
  });
}
