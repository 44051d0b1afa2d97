import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { weakKeyReason } from '@app/common';

/** The server's Ed25519 key pair that signs TruthPacks, as hex. */
export interface SigningKey {
  secretKey: string;
  publicKey: string;
}

/** Public key (hex) of an Ed25519 secret seed (hex). */
export function publicKeyOf(secretKeyHex: string): string {
  // PKCS#8 prefix for a raw 32-byte Ed25519 seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(secretKeyHex, 'hex')]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('hex');
}

/**
 * The signing key: from configuration when given, else read from `<dataDir>/keys/truthpack-ed25519.json`,
 * generated there (mode 0600) on first start. Processes that share the directory (an API and its workers on
 * one volume) and start together end up with one key: the file appears whole or not at all, and whoever links
 * it second reads the winner's.
 */
export function loadSigningKey(dataDir: string, configured: string | undefined, generate: () => SigningKey): SigningKey {
  if (configured) return { secretKey: configured, publicKey: publicKeyOf(configured) };
  const dir = join(dataDir, 'keys');
  const file = join(dir, 'truthpack-ed25519.json');
  if (existsSync(file)) return readKey(file);
  // Only keys/ is private: a DATA_DIR created here with 0700 would lock the embedded database's
  // own user out of DATA_DIR/pg when it starts later.
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A random key fails the weak-key rules about once in 10^15 draws: draw again rather than refuse to start.
  let key = generate();
  while (weakKeyReason(key.secretKey)) key = generate();
  const draft = join(dir, `.truthpack-ed25519.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(draft, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  chmodSync(draft, 0o600);
  try {
    linkSync(draft, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readKey(file);
  } finally {
    unlinkSync(draft);
  }
}

function readKey(file: string): SigningKey {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as SigningKey;
  if (!/^[0-9a-f]{64}$/.test(stored.secretKey)) throw new Error(`${file} does not hold a valid Ed25519 key`);
  const weak = weakKeyReason(stored.secretKey);
  if (weak) throw new Error(`${file} holds a weak signing key (${weak}): move it away to generate a new one, or set TRUTHPACK_SIGNING_KEY`);
  return { secretKey: stored.secretKey, publicKey: publicKeyOf(stored.secretKey) };
}
