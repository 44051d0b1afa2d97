import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';
import { jobKeys } from './keys';

/** GET /api/jobs/{id}/ledger — the job's entries of the hash-chained ledger. */
export async function getJobLedger(id: string) {
  return data(await api.GET('/api/jobs/{id}/ledger', { params: { path: { id } } }));
}

export const jobLedgerQueryOptions = (id: string) => queryOptions({ queryKey: jobKeys.ledger(id), queryFn: () => getJobLedger(id) });

export const useJobLedger = (id: string) => useQuery(jobLedgerQueryOptions(id));

/** GET /api/ledger/verify — recomputes the whole log: leaves, signed tree heads and the old chain. */
export async function verifyLedger() {
  return data(await api.GET('/api/ledger/verify'));
}
