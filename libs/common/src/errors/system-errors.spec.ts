import { describe, expect, it } from 'vitest';
import { isDiskFull } from './system-errors';

describe('isDiskFull', () => {
  it('recognises a full disk from fs errors and from what git prints', () => {
    expect(isDiskFull(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('quota'), { code: 'EDQUOT' }))).toBe(true);
    expect(isDiskFull(new Error('git add failed: fatal: unable to write loose object file: No space left on device'))).toBe(true);
    expect(isDiskFull(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }))).toBe(true);
  });

  it('leaves other failures alone', () => {
    expect(isDiskFull(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))).toBe(false);
    expect(isDiskFull(new Error('git clone failed: repository not found'))).toBe(false);
    expect(isDiskFull(null)).toBe(false);
  });
});
