import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a secret is: an access token (`aict_…`) or a browser session (`aicts_…`). */
export type SecretKind = 'token' | 'session';

const MARK: Record<SecretKind, string> = { token: 'aict_', session: 'aicts_' };
const ISSUED = /^(aicts?_)([A-Za-z0-9_-]{43})$/;

/** SHA-256 (hex) of a secret: what the database keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * The public lookup prefix of a secret: the mark and 8 characters of an issued secret, or a digest
 * for one given from outside (AUTH_BOOTSTRAP_TOKEN), which must not be shown in part.
 */
export function prefixOf(secret: string): string {
  const issued = ISSUED.exec(secret);
  if (issued) return `${issued[1]}${issued[2].slice(0, 8)}`;
  return `ext_${hashSecret(secret).slice(0, 12)}`;
}

/** A new random secret (32 bytes, base64url) with its prefix and hash. */
export function generateSecret(kind: SecretKind): { secret: string; prefix: string; hash: string } {
  const secret = `${MARK[kind]}${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: prefixOf(secret), hash: hashSecret(secret) };
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
