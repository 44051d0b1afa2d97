import { describe, expect, it } from 'vitest';
import { TdlnEngine, loadTdlnBinding } from '@app/tdln';
import { signTreeHead, treeHeadKeyId, treeHeadMessage, verifyTreeHeadSignature } from './tree-head';

describe('signed tree heads', () => {
  const engine = new TdlnEngine(loadTdlnBinding());
  const key = engine.generateSigningKey();
  const head = signTreeHead({ treeSize: 1234, rootHash: 'ab'.repeat(32), timestamp: '2026-12-05T09:00:00.123Z' }, key);

  it('signs the RFC 6962 TreeHeadSignature bytes: version, type, time in ms, size, root', () => {
    const message = treeHeadMessage(1234, 'ab'.repeat(32), '2026-12-05T09:00:00.123Z');
    expect(message.subarray(0, 2)).toEqual(Buffer.from([0, 1]));
    expect(message.readBigUInt64BE(2)).toBe(BigInt(Date.parse('2026-12-05T09:00:00.123Z')));
    expect(message.readBigUInt64BE(10)).toBe(1234n);
    expect(message.subarray(18).toString('hex')).toBe('ab'.repeat(32));
  });

  it('names the key as TruthPacks do, and verifies only the head it signed under that key', () => {
    expect(head.keyId).toBe(engine.truthPackKeyId(key.publicKey));
    expect(treeHeadKeyId(key.publicKey)).toBe(head.keyId);
    expect(verifyTreeHeadSignature(head, key.publicKey)).toBe(true);
    expect(verifyTreeHeadSignature({ ...head, treeSize: 1235 }, key.publicKey)).toBe(false);
    expect(verifyTreeHeadSignature({ ...head, rootHash: 'cd'.repeat(32) }, key.publicKey)).toBe(false);
    expect(verifyTreeHeadSignature({ ...head, timestamp: '2026-12-05T09:00:00.124Z' }, key.publicKey)).toBe(false);
    expect(verifyTreeHeadSignature({ ...head, signature: 'zz' }, key.publicKey)).toBe(false);
    const other = engine.generateSigningKey();
    expect(verifyTreeHeadSignature({ ...head, keyId: treeHeadKeyId(other.publicKey) }, other.publicKey)).toBe(false);
  });
});
