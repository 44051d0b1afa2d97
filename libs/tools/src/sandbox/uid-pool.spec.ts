import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountsInRange, releaseUid, takeUid } from './uid-pool';

describe('the uid pool of sandboxed runs', () => {
  const held: number[] = [];
  const take = (range: { first: number; last: number }, root: string) => {
    const uid = takeUid(range, root);
    if (uid !== undefined) held.push(uid);
    return uid;
  };
  afterEach(() => {
    for (const uid of held.splice(0)) releaseUid(uid);
  });

  it('gives a workspace the same uid run after run, and two workspaces at once two uids', () => {
    const range = { first: 300_000, last: 300_999 };
    const a = take(range, '/data/workspaces/job-a')!;
    releaseUid(held.pop()!);
    expect(take(range, '/data/workspaces/job-a')).toBe(a);
    const b = take(range, '/data/workspaces/job-b')!;
    expect(b).not.toBe(a);
    for (const uid of [a, b]) expect(uid >= range.first && uid <= range.last).toBe(true);
  });

  it('lets runs in the same workspace share its uid, and hands a uid on only when its last run ends', () => {
    const range = { first: 301_000, last: 301_000 };
    const uid = take(range, '/ws/one')!;
    expect(take(range, '/ws/one')).toBe(uid);
    expect(take(range, '/ws/two')).toBeUndefined();
    releaseUid(held.pop()!);
    expect(take(range, '/ws/two')).toBeUndefined();
    releaseUid(held.pop()!);
    expect(take(range, '/ws/two')).toBe(uid);
  });

  it('never gives out more uids than the pool holds', () => {
    const range = { first: 302_000, last: 302_002 };
    const uids = ['/a', '/b', '/c'].map((root) => take(range, root));
    expect(new Set(uids)).toEqual(new Set([302_000, 302_001, 302_002]));
    expect(take(range, '/d')).toBeUndefined();
  });

  it('finds the accounts and groups of the host whose ids fall in the pool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aict-uid-pool-'));
    try {
      writeFileSync(
        join(dir, 'passwd'),
        'root:x:0:0::/root:/bin/sh\nci:x:100500:100500::/home/ci:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n',
      );
      writeFileSync(join(dir, 'group'), 'root:x:0:\nbuilders:x:165535:\n');
      const files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
      expect(accountsInRange({ first: 100_000, last: 165_535 }, files)).toEqual(['user ci (100500)', 'group builders (165535)']);
      expect(accountsInRange({ first: 200_000, last: 265_535 }, files)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
