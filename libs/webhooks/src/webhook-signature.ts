import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` of HMAC-SHA256(secret, payload), the form of X-Hub-Signature-256 and X-AICT-Signature. */
export function signPayload(secret: string, payload: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

/** Whether a signature header matches the payload, compared in constant time. */
export function signatureMatches(secret: string, payload: Buffer | string, header: string | undefined): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-fA-F]{64}$/.test(header.trim())) return false;
  const expected = Buffer.from(signPayload(secret, payload).slice(7), 'hex');
  const given = Buffer.from(header.trim().slice(7).toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
