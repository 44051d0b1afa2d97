import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, hashLedgerEntry, ledgerLeafData, ledgerLeafHash } from './ledger-hash';

describe('ledger hashing', () => {
  it('canonicalises JSON as RFC 8785 does: sorted keys, no whitespace, ECMAScript numbers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1e21, y: 0.000001, x: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"x":0,"y":0.000001,"z":1e+21}}',
    );
    // The RFC's own sample: UTF-16 code-unit key order and escaping rules.
    expect(
      canonicalJson({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      }),
    ).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('hashes the previous hash followed by the canonical entry', () => {
    const content = {
      seq: 1,
      ts: '2026-01-01T00:00:00.000Z',
      kind: 'k',
      actor: 'system',
      jobId: null,
      conversationId: null,
      traceId: null,
      summary: 's',
      data: { b: 2, a: 1 },
      prevHash: GENESIS_HASH,
    };
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonicalJson(content))
      .digest('hex');
    expect(hashLedgerEntry(content)).toBe(expected);
    expect(hashLedgerEntry({ ...content, data: { a: 1, b: 2 } })).toBe(expected);
    expect(hashLedgerEntry({ ...content, summary: 't' })).not.toBe(expected);
  });

  it('makes a leaf of the entry alone, of a pre-log entry with its chain hashes, and of nothing a view adds', () => {
    const entry = {
      seq: 7,
      ts: '2026-01-01T00:00:00.000Z',
      kind: 'k',
      actor: 'system',
      jobId: null,
      conversationId: null,
      traceId: null,
      summary: 's',
      data: { a: 1 },
      prevHash: null,
      hash: null,
    };
    expect(ledgerLeafData(entry)).toBe(
      '{"actor":"system","conversationId":null,"data":{"a":1},"jobId":null,"kind":"k","seq":7,"summary":"s","traceId":null,"ts":"2026-01-01T00:00:00.000Z"}',
    );
    expect(ledgerLeafHash(entry)).toEqual(
      createHash('sha256')
        .update(Buffer.concat([Buffer.of(0), Buffer.from(ledgerLeafData(entry))]))
        .digest(),
    );
    const chained = { ...entry, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) };
    expect(ledgerLeafData(chained)).toContain(`"hash":"${'b'.repeat(64)}"`);
    expect(ledgerLeafHash(chained)).not.toEqual(ledgerLeafHash(entry));
    expect(ledgerLeafHash({ ...entry, leafIndex: 3 } as typeof entry)).toEqual(ledgerLeafHash(entry));
  });
});
