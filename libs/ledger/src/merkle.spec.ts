import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  EMPTY_ROOT,
  Hash,
  NodeReader,
  consistencyProof,
  frontierIds,
  inclusionProof,
  leafHash,
  nodeHash,
  nodeKey,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

/** RFC 6962 §2.1 MTH, written the way the RFC states it. */
function mth(leaves: Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** Grows a tree leaf by leaf and keeps every node it reports, as the sequencer stores them. */
function grow(count: number, label = 'entry'): { leaves: Hash[]; read: NodeReader; roots: Hash[] } {
  const store = new Map<string, Hash>();
  const range = CompactRange.empty();
  const leaves: Hash[] = [];
  const roots: Hash[] = [EMPTY_ROOT];
  for (let i = 0; i < count; i++) {
    const leaf = leafHash(`${label} ${i}`);
    leaves.push(leaf);
    for (const node of range.append(leaf)) store.set(nodeKey(node), node.hash);
    roots.push(range.root());
  }
  const read: NodeReader = async (ids) =>
    new Map(ids.filter((id) => store.has(nodeKey(id))).map((id) => [nodeKey(id), store.get(nodeKey(id))!]));
  return { leaves, read, roots };
}

const flip = (h: Hash): Hash => Buffer.from(h.map((b, i) => (i === 0 ? b ^ 1 : b)));

describe('the Merkle log (RFC 6962/9162)', () => {
  it('computes the roots of the certificate-transparency reference vectors', () => {
    const data = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) =>
      leafHash(Buffer.from(h, 'hex')),
    );
    const expected = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const range = CompactRange.empty();
    const roots = [range.root().toString('hex')];
    for (const leaf of data) {
      range.append(leaf);
      roots.push(range.root().toString('hex'));
    }
    expect(roots).toEqual(expected);
  });

  it('extends the frontier to the same root as the recursive definition, and resumes from stored frontier nodes', () => {
    const { leaves, read, roots } = grow(70);
    for (let n = 0; n <= 70; n++) expect(roots[n].equals(mth(leaves.slice(0, n)))).toBe(true);
    return (async () => {
      const ids = frontierIds(37);
      const stored = await read(ids);
      const resumed = CompactRange.of(
        37,
        ids.map((id) => stored.get(nodeKey(id))!),
      );
      for (const leaf of leaves.slice(37)) resumed.append(leaf);
      expect(resumed.root().equals(roots[70])).toBe(true);
    })();
  });

  it('proves every leaf included in every tree that holds it, and refuses a changed leaf, path or root', async () => {
    const { leaves, read, roots } = grow(33);
    for (let size = 1; size <= 33; size++) {
      for (let i = 0; i < size; i++) {
        const path = await inclusionProof(i, size, read);
        expect(verifyInclusion(i, size, leaves[i], path, roots[size])).toBe(true);
        expect(verifyInclusion(i, size, flip(leaves[i]), path, roots[size])).toBe(false);
        expect(verifyInclusion(i, size, leaves[i], path, flip(roots[size]))).toBe(false);
        if (path.length > 0) expect(verifyInclusion(i, size, leaves[i], [flip(path[0]), ...path.slice(1)], roots[size])).toBe(false);
        if (size > 1) expect(verifyInclusion((i + 1) % size, size, leaves[i], path, roots[size])).toBe(false);
      }
    }
  });

  it('proves every smaller tree a prefix of every larger one, and refuses a rewritten history', async () => {
    const { read, roots } = grow(33);
    const other = grow(33, 'forged');
    for (let to = 1; to <= 33; to++) {
      for (let from = 1; from <= to; from++) {
        const path = await consistencyProof(from, to, read);
        expect(verifyConsistency(from, to, roots[from], roots[to], path)).toBe(true);
        if (from < to) {
          expect(verifyConsistency(from, to, flip(roots[from]), roots[to], path)).toBe(false);
          expect(verifyConsistency(from, to, roots[from], flip(roots[to]), path)).toBe(false);
          expect(verifyConsistency(from, to, roots[from], roots[to], path.slice(1))).toBe(false);
        }
      }
    }
    // A log that forked: same sizes, different leaves, cannot be proven consistent with this one.
    const forked = await consistencyProof(5, 9, other.read);
    expect(verifyConsistency(5, 9, roots[5], other.roots[9], forked)).toBe(false);
  });
});
