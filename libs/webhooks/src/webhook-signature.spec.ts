import { describe, expect, it } from 'vitest';
import { signPayload, signatureMatches } from './webhook-signature';

describe('webhook signatures', () => {
  it('match the HMAC-SHA256 of the exact payload bytes and nothing else', () => {
    const secret = 'a-webhook-secret-of-length';
    const body = Buffer.from('{"action":"labeled"}');
    // The value GitHub documents for this construction: HMAC-SHA256 hex, prefixed with sha256=.
    expect(signPayload(secret, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureMatches(secret, body, signPayload(secret, body))).toBe(true);
    expect(signatureMatches(secret, body, signPayload(secret, body).toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(signatureMatches(secret, Buffer.from('{"action":"labeled" }'), signPayload(secret, body))).toBe(false);
    expect(signatureMatches('another-secret-entirely', body, signPayload(secret, body))).toBe(false);
    expect(signatureMatches(secret, body, undefined)).toBe(false);
    expect(signatureMatches(secret, body, 'sha256=abc')).toBe(false);
  });
});
