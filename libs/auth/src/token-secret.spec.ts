import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, prefixOf, secretMatches } from './token-secret';

describe('token secrets', () => {
  it('are random, carry a short public prefix, and are kept only as a SHA-256 hash', () => {
    const a = generateSecret('token');
    const b = generateSecret('token');
    expect(a.secret).toMatch(/^aict_[A-Za-z0-9_-]{43}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(a.prefix).toBe(a.secret.slice(0, 13));
    expect(a.hash).toBe(hashSecret(a.secret));
    expect(secretMatches(a.secret, a.hash)).toBe(true);
    expect(secretMatches(b.secret, a.hash)).toBe(false);
    expect(generateSecret('session').secret).toMatch(/^aicts_/);
  });

  it('never shows part of a secret given from outside in its prefix', () => {
    const prefix = prefixOf('my-own-bootstrap-token-value');
    expect(prefix).toMatch(/^ext_[0-9a-f]{12}$/);
    expect('my-own-bootstrap-token-value').not.toContain(prefix.slice(4));
  });
});
