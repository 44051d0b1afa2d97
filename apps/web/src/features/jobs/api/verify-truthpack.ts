import { useMutation } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';

/**
 * POST /api/truthpacks/verify — checks a pack's statement, Merkle root and signature on the server, against
 * the server's current key (never the key the pack names) unless another `publicKey` is given.
 */
export async function verifyTruthPack(input: { pack: Record<string, unknown> | string; publicKey?: string }) {
  return data(await api.POST('/api/truthpacks/verify', { body: input as never }));
}

export const useVerifyTruthPack = () => useMutation({ mutationFn: verifyTruthPack, meta: { silent: true } });
