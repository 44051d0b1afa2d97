import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { weakKeyReason } from './key-strength';

describe('weakKeyReason', () => {
  it('refuses the all-zero key, repeated bytes, counting sequences and repeated patterns', () => {
    expect(weakKeyReason('00'.repeat(32))).toMatch(/only 1 distinct byte/);
    expect(weakKeyReason('ab'.repeat(32))).toMatch(/only 1 distinct byte/);
    expect(weakKeyReason('deadbeef'.repeat(8))).toMatch(/only 4 distinct byte/);
    // 32 distinct bytes, but each one more than the last.
    expect(weakKeyReason(Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex'))).toMatch(/pattern/);
    // 16 random-looking bytes, twice.
    const half = '3f9a17c2e4580bd6716e2fa9c3d5084b';
    expect(weakKeyReason(half + half)).toBe('it repeats a 16-byte pattern');
    expect(weakKeyReason('zz'.repeat(32))).toMatch(/not 32 bytes of hex/);
  });

  it('accepts keys from a random source', () => {
    for (let i = 0; i < 2_000; i++) expect(weakKeyReason(randomBytes(32).toString('hex'))).toBeNull();
  });
});
