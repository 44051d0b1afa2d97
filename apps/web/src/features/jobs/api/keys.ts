/** Query keys of the jobs feature; every job query lives under ['jobs']. */
export const jobKeys = {
  all: ['jobs'] as const,
  lists: () => ['jobs', 'list'] as const,
  list: (filters: object) => ['jobs', 'list', filters] as const,
  detail: (id: string) => ['jobs', 'detail', id] as const,
  events: (id: string) => ['jobs', 'events', id] as const,
  diff: (id: string) => ['jobs', 'diff', id] as const,
  truthpack: (id: string) => ['jobs', 'truthpack', id] as const,
  evaluation: (id: string) => ['jobs', 'evaluation', id] as const,
  ledger: (id: string) => ['jobs', 'ledger', id] as const,
  parse: (text: string, mode?: string, repo?: string, useModel?: boolean) =>
    ['tdln', 'parse', text, mode ?? null, repo ?? null, useModel ?? false] as const,
};
