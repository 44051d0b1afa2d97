import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

/** A signed tree head: the Merkle log's size and root at a time, signed by the server's Ed25519 key. */
export interface SignedTreeHead {
  treeSize: number;
  /** Merkle Tree Hash of the first `treeSize` leaves, hex. */
  rootHash: string;
  /** When the sequencer signed it (ISO 8601, millisecond precision). */
  timestamp: string;
  /** First 16 hex digits of SHA-256 of the signing public key (the TruthPack key id). */
  keyId: string;
  /** Ed25519 signature of {@link treeHeadMessage}, hex. */
  signature: string;
}

/**
 * The signed bytes, RFC 6962 §3.5's TreeHeadSignature: version v1 (0), signature type tree_hash (1),
 * timestamp (uint64 ms), tree size (uint64), root hash (32 bytes).
 */
export function treeHeadMessage(treeSize: number, rootHash: string, timestamp: string): Buffer {
  const ms = Date.parse(timestamp);
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError(`bad tree size ${treeSize}`);
  if (!/^[0-9a-f]{64}$/.test(rootHash)) throw new RangeError('the root hash must be 64 hex digits');
  if (Number.isNaN(ms)) throw new RangeError(`bad timestamp ${timestamp}`);
  const message = Buffer.alloc(2 + 8 + 8 + 32);
  message.writeUInt8(0, 0);
  message.writeUInt8(1, 1);
  message.writeBigUInt64BE(BigInt(ms), 2);
  message.writeBigUInt64BE(BigInt(treeSize), 10);
  Buffer.from(rootHash, 'hex').copy(message, 18);
  return message;
}

/** The key id of an Ed25519 public key (hex): the first 16 hex digits of its SHA-256, as TruthPacks name keys. */
export function treeHeadKeyId(publicKeyHex: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyHex, 'hex')).digest('hex').slice(0, 16);
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** Signs a tree head with an Ed25519 secret seed (hex). */
export function signTreeHead(
  head: { treeSize: number; rootHash: string; timestamp: string },
  key: { secretKey: string; publicKey: string },
): SignedTreeHead {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, Buffer.from(key.secretKey, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });
  const signature = sign(null, treeHeadMessage(head.treeSize, head.rootHash, head.timestamp), privateKey).toString('hex');
  return { ...head, keyId: treeHeadKeyId(key.publicKey), signature };
}

/** Whether `head` carries a valid signature by `publicKeyHex` (and names that key). */
export function verifyTreeHeadSignature(head: SignedTreeHead, publicKeyHex: string): boolean {
  try {
    if (head.keyId !== treeHeadKeyId(publicKeyHex) || !/^[0-9a-f]{128}$/.test(head.signature)) return false;
    const publicKey = createPublicKey({
      key: Buffer.concat([SPKI_ED25519, Buffer.from(publicKeyHex, 'hex')]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, treeHeadMessage(head.treeSize, head.rootHash, head.timestamp), publicKey, Buffer.from(head.signature, 'hex'));
  } catch {
    return false;
  }
}
