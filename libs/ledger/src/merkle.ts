import { createHash } from 'node:crypto';

/** A Merkle Tree Hash as RFC 6962/9162 define it: SHA-256, 32 bytes. */
export type Hash = Buffer;

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** `SHA-256(0x00 || data)`: the hash of one leaf. */
export function leafHash(data: Buffer | string): Hash {
  return createHash('sha256')
    .update(Buffer.of(0))
    .update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    .digest();
}

/** `SHA-256(0x01 || left || right)`: the hash of an interior node. */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** The largest power of two strictly below `n` (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A perfect, aligned subtree: leaves `[idx·2^level, (idx+1)·2^level)`. */
export interface NodeId {
  level: number;
  idx: number;
}

/** A node that appeared when the tree grew: every perfect subtree is stored once, as it completes. */
export interface NewNode extends NodeId {
  hash: Hash;
}

/**
 * The right frontier (compact range) of a tree of `size` leaves: the roots of its perfect subtrees,
 * largest first. Appending a leaf is O(log n) and yields the subtrees it completes; the root is a fold.
 */
export class CompactRange {
  private constructor(
    private count: number,
    private readonly hashes: Hash[],
  ) {}

  /** An empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** The frontier of a tree of `size` leaves from its perfect subtrees (see {@link frontierIds}), largest first. */
  static of(size: number, hashes: Hash[]): CompactRange {
    if (hashes.length !== frontierIds(size).length)
      throw new Error(`a tree of ${size} leaves has ${frontierIds(size).length} frontier nodes`);
    return new CompactRange(size, [...hashes]);
  }

  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash; returns the nodes it completes, the leaf itself first. */
  append(leaf: Hash): NewNode[] {
    const index = this.count;
    const created: NewNode[] = [{ level: 0, idx: index, hash: leaf }];
    let hash = leaf;
    let level = 0;
    // Each trailing 1-bit of the old size is a subtree of the same height waiting on its left.
    while (Math.floor(index / 2 ** level) % 2 === 1) {
      hash = nodeHash(this.hashes.pop()!, hash);
      level++;
      created.push({ level, idx: Math.floor(index / 2 ** level), hash });
    }
    this.hashes.push(hash);
    this.count++;
    return created;
  }

  /** The Merkle Tree Hash of the leaves so far. */
  root(): Hash {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let acc = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = nodeHash(this.hashes[i], acc);
    return acc;
  }
}

/** The perfect subtrees a tree of `size` leaves is made of, largest first. */
export function frontierIds(size: number): NodeId[] {
  return rangeIds(0, size);
}

/** The perfect aligned subtrees covering leaves `[from, to)` (from aligned as ranges of a Merkle tree are), left to right. */
function rangeIds(from: number, to: number): NodeId[] {
  const ids: NodeId[] = [];
  let start = from;
  while (start < to) {
    let level = 0;
    // The largest aligned subtree starting at `start` that fits.
    while (start % 2 ** (level + 1) === 0 && start + 2 ** (level + 1) <= to) level++;
    ids.push({ level, idx: start / 2 ** level });
    start += 2 ** level;
  }
  return ids;
}

/** A range of leaves whose hash a proof needs. */
type Range = [number, number];

/** RFC 6962 §2.1.1 PATH(m, D[lo:hi]) as ranges, nearest sibling first. */
function inclusionRanges(m: number, lo: number, hi: number): Range[] {
  if (hi - lo <= 1) return [];
  const k = splitPoint(hi - lo);
  return m < lo + k ? [...inclusionRanges(m, lo, lo + k), [lo + k, hi]] : [...inclusionRanges(m, lo + k, hi), [lo, lo + k]];
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b) as ranges. */
function consistencyRanges(m: number, lo: number, hi: number, whole: boolean): Range[] {
  if (m === hi - lo) return whole ? [] : [[lo, hi]];
  const k = splitPoint(hi - lo);
  return m <= k
    ? [...consistencyRanges(m, lo, lo + k, whole), [lo + k, hi]]
    : [...consistencyRanges(m - k, lo + k, hi, false), [lo, lo + k]];
}

/** Fetches stored perfect subtrees by id, in one go. Missing ones are an error of the store. */
export type NodeReader = (ids: NodeId[]) => Promise<Map<string, Hash>>;

/** The key of a node in a {@link NodeReader} answer. */
export const nodeKey = (id: NodeId): string => `${id.level}:${id.idx}`;

async function hashRanges(ranges: Range[], read: NodeReader): Promise<Hash[]> {
  const perRange = ranges.map(([a, b]) => rangeIds(a, b));
  const wanted = new Map<string, NodeId>();
  for (const id of perRange.flat()) wanted.set(nodeKey(id), id);
  const found = await read([...wanted.values()]);
  return perRange.map((ids) => {
    const hashes = ids.map((id) => {
      const hash = found.get(nodeKey(id));
      if (!hash) throw new Error(`node ${nodeKey(id)} is missing from the tree store`);
      return hash;
    });
    let acc = hashes[hashes.length - 1];
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc);
    return acc;
  });
}

/** The audit path of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(index: number, size: number, read: NodeReader): Promise<Hash[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  return hashRanges(inclusionRanges(index, 0, size), read);
}

/** The proof that the tree of `from` leaves is a prefix of the tree of `to` leaves. */
export function consistencyProof(from: number, to: number, read: NodeReader): Promise<Hash[]> {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return Promise.resolve([]);
  return hashRanges(consistencyRanges(from, 0, to, true), read);
}

/** RFC 9162 §2.1.3.2: does `path` prove `leaf` at `index` in the tree of `size` leaves with `root`? */
export function verifyInclusion(index: number, size: number, leaf: Hash, path: Hash[], root: Hash): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `path` prove the tree (`from`, `fromRoot`) a prefix of (`to`, `toRoot`)? */
export function verifyConsistency(from: number, to: number, fromRoot: Hash, toRoot: Hash, path: Hash[]): boolean {
  if (!(from >= 0 && from <= to)) return false;
  if (from === to) return path.length === 0 && fromRoot.equals(toRoot);
  if (from === 0) return path.length === 0 && fromRoot.equals(EMPTY_ROOT);
  const proof = Number.isInteger(Math.log2(from)) ? [fromRoot, ...path] : path;
  if (proof.length === 0) return false;
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(fromRoot) && sr.equals(toRoot) && sn === 0;
}
