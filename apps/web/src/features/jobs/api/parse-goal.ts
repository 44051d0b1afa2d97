import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { JobMode } from './types';

/** POST /api/tdln/parse — how the TDLN engine understands a request, and the policy's verdict on it. */
export async function parseGoal(text: string, mode?: JobMode) {
  return data(await api.POST('/api/tdln/parse', { body: { text, mode } }));
}

export const parseGoalQueryOptions = (text: string, mode?: JobMode) =>
  queryOptions({ queryKey: jobKeys.parse(text, mode), queryFn: () => parseGoal(text, mode), staleTime: Infinity, meta: { silent: true } });

export const useParseGoal = (text: string, mode?: JobMode) => useQuery({ ...parseGoalQueryOptions(text, mode), enabled: text.trim().length > 0 });
