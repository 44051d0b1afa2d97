import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';
import type { JobMode } from './types';

export interface ParseGoalInput {
  text: string;
  mode?: JobMode;
  /** Lets the rephrasings (and the model) name the repository's real files. */
  repo?: string;
  /** Also ask the model when the grammar abstains: a metered call, made only on request. */
  useModel?: boolean;
}

/** POST /api/tdln/parse — how a request would be understood and judged, exactly as creating the job would. */
export async function parseGoal({ text, mode, repo, useModel }: ParseGoalInput) {
  return data(
    await api.POST('/api/tdln/parse', {
      body: { text, ...(mode ? { mode } : {}), ...(repo ? { repo } : {}), ...(useModel ? { useModel } : {}) },
    }),
  );
}

export const parseGoalQueryOptions = (input: ParseGoalInput) =>
  queryOptions({
    queryKey: jobKeys.parse(input.text, input.mode, input.repo, input.useModel),
    queryFn: () => parseGoal(input),
    staleTime: Infinity,
    meta: { silent: true },
  });

export const useParseGoal = (input: ParseGoalInput) => useQuery({ ...parseGoalQueryOptions(input), enabled: input.text.trim().length > 0 });
