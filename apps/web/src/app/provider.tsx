import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '@/lib/api/client';
import { navigate } from '@/lib/router';
import { toast } from '@/lib/toast';

function onUnauthorized(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 401 && window.location.pathname !== '/login') {
    navigate(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
    return true;
  }
  return false;
}

/** The one QueryClient: a 401 sends the user to sign in; failures of data already shown become toasts. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (onUnauthorized(error)) return;
        if (query.state.data !== undefined && !query.meta?.silent) toast(`Could not refresh: ${(error as Error).message}`);
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (onUnauthorized(error)) return;
        if (!mutation.meta?.silent) toast((error as Error).message);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}

export function AppProvider({ children, client }: { children: ReactNode; client: QueryClient }) {
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
