import { useMutation } from '@tanstack/react-query';
import { api, data } from '@/lib/api/client';

/** POST /api/truthpacks/verify — checks a pack's signature, Merkle root and proofs on the server. */
export async function verifyTruthPack(input: { pack: Record<string, unknown> | string; publicKey?: string }) {
  return data(await api.POST('/api/truthpacks/verify', { body: input as never }));
}

export const useVerifyTruthPack = () => useMutation({ mutationFn: verifyTruthPack, meta: { silent: true } });
