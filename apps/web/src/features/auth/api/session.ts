import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, data } from '@/lib/api/client';
import { navigate } from '@/lib/router';

/** POST /api/auth/session with the access token as bearer: the server answers with an httpOnly session cookie. */
export async function createSession(token: string) {
  try {
    return data(await api.POST('/api/auth/session', { headers: { Authorization: `Bearer ${token}` } }));
  } catch (error) {
    // The server's words are for API clients ("Authorization: Bearer"); a person reads what to do.
    if (error instanceof ApiError && error.status === 401)
      throw new ApiError(
        401,
        error.code,
        'That access token was not accepted: it may be mistyped, expired or revoked. Use the login link you were given, or ask an admin for a new one.',
        error.details,
      );
    throw error;
  }
}

/** Signs in; everything cached before belongs to no one, so it is dropped by the caller's navigation. */
export const useSignIn = () => useMutation({ mutationFn: createSession, meta: { silent: true } });

/** GET /api/auth/session — who is signed in (authEnabled false: access control is off, nobody signs in). */
export async function getSession() {
  return data(await api.GET('/api/auth/session'));
}

export const sessionQueryOptions = () => queryOptions({ queryKey: ['auth', 'session'], queryFn: getSession, staleTime: 60_000 });

export const useSession = () => useQuery(sessionQueryOptions());

/** DELETE /api/auth/session — signs out; the cache is cleared and the sign-in page shown. */
export const useSignOut = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => data(await api.DELETE('/api/auth/session')),
    onSuccess: () => {
      client.clear();
      navigate('/login', { replace: true });
    },
  });
};
