import { describe, expect, it } from 'vitest';
import { REDACTED, SecretRedactor, redact } from './redaction';

describe('redaction', () => {
  it('replaces known secrets and token- or key-shaped strings anywhere in a value', () => {
    const token = `aict_${'A'.repeat(43)}`;
    const value = {
      goal: 'use hunter2-secret-value now',
      nested: [{ text: `bearer ${token}` }, 'sk-ant-api03-abcdefghijkl'],
      count: 3,
      at: new Date(0),
    };
    expect(redact(value, ['hunter2-secret-value'])).toEqual({
      goal: `use ${REDACTED} now`,
      nested: [{ text: `bearer ${REDACTED}` }, REDACTED],
      count: 3,
      at: new Date(0),
    });
  });

  it('leaves short values alone, and shows new tokens where only known secrets are redacted', () => {
    const redactor = new SecretRedactor();
    redactor.register('short', 'a "quoted" secret!', undefined);
    expect(redactor.redact('short and sweet')).toBe('short and sweet');
    expect(redactor.redact(JSON.stringify({ s: 'a "quoted" secret!' }))).toBe(`{"s":"${REDACTED}"}`);
    const fresh = `aict_${'b'.repeat(43)}`;
    expect(redactor.redactKnown(fresh)).toBe(fresh);
    expect(redactor.redact(fresh)).toBe(REDACTED);
  });
});
