import { useMutation } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';

/** POST /api/auth/session with the access token as bearer: the server answers with an httpOnly session cookie. */
export async function createSession(token: string) {
  return data(await api.POST('/api/auth/session', { headers: { Authorization: `Bearer ${token}` } }));
}

/** Signs in; everything cached before belongs to no one, so it is dropped by the caller's navigation. */
export const useSignIn = () => useMutation({ mutationFn: createSession, meta: { silent: true } });
