import { readFileSync } from 'node:fs';
import {
  LedgerLeafContent,
  SignedTreeHead,
  ledgerLeafHash,
  treeHeadKeyId,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHeadSignature,
} from '@app/ledger';
import { CliError } from './cli-api';

/** What `aict verify` was given: a saved tree head, inclusion proof or consistency proof (the API's answers). */
export type LedgerProofKind = 'tree-head' | 'inclusion' | 'consistency';

/** The verdict on a saved ledger proof, checked offline against a trusted key. */
export interface LedgerProofVerdict {
  kind: LedgerProofKind;
  valid: boolean;
  /** The tree head the proof ends at (the newer one for a consistency proof). */
  treeHead: SignedTreeHead;
  trustedKey: { publicKey: string; keyId: string; source: 'option' | 'login' };
  problems: string[];
}

const hex = (h: string) => Buffer.from(h, 'hex');
const isHash = (h: unknown): h is string => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h);

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
}

function asTreeHead(value: unknown, what: string): SignedTreeHead {
  const head = value as Partial<SignedTreeHead> | null;
  if (
    !head ||
    !Number.isSafeInteger(head.treeSize) ||
    !isHash(head.rootHash) ||
    typeof head.timestamp !== 'string' ||
    typeof head.keyId !== 'string' ||
    typeof head.signature !== 'string'
  ) {
    throw new CliError(`${what} is not a signed tree head (treeSize, rootHash, timestamp, keyId, signature)`);
  }
  return head as SignedTreeHead;
}

function checkHead(head: SignedTreeHead, publicKey: string, name: string, problems: string[]): void {
  if (head.keyId !== treeHeadKeyId(publicKey))
    problems.push(`${name} is signed by key ${head.keyId}, NOT the trusted key ${treeHeadKeyId(publicKey)}`);
  else if (!verifyTreeHeadSignature(head, publicKey)) problems.push(`${name} does not carry a valid signature of the trusted key`);
}

/**
 * Checks a saved answer of GET /api/ledger/tree-head, /proof/inclusion or /proof/consistency offline:
 * the tree heads' signatures against the trusted key, and the Merkle proof against their roots.
 * With `kept` (a tree head saved earlier), a consistency proof must start at exactly that head.
 */
export function verifyLedgerProofFile(
  kind: LedgerProofKind,
  file: string,
  trusted: { publicKey: string; source: 'option' | 'login' },
  kept?: string,
): LedgerProofVerdict {
  if (!/^[0-9a-f]{64}$/.test(trusted.publicKey)) throw new CliError('the trusted key must be 64 hex digits (an Ed25519 public key)');
  const body = readJson(file);
  const problems: string[] = [];
  let treeHead: SignedTreeHead;
  if (kind === 'tree-head') {
    treeHead = asTreeHead(body, file);
    checkHead(treeHead, trusted.publicKey, 'the tree head', problems);
  } else if (kind === 'inclusion') {
    treeHead = asTreeHead(body.treeHead, `${file} treeHead`);
    const entry = body.entry as LedgerLeafContent | undefined;
    const path = body.auditPath as unknown;
    if (!entry || !Number.isSafeInteger(body.leafIndex) || !Array.isArray(path) || !path.every(isHash)) {
      throw new CliError(`${file} is not an inclusion proof (entry, leafIndex, leafHash, treeHead, auditPath)`);
    }
    checkHead(treeHead, trusted.publicKey, 'the tree head', problems);
    const leaf = ledgerLeafHash(entry);
    if (body.leafHash !== leaf.toString('hex')) problems.push('the entry does not hash to the leaf hash given with it');
    if (!verifyInclusion(body.leafIndex as number, treeHead.treeSize, leaf, path.map(hex), hex(treeHead.rootHash))) {
      problems.push(`entry ${entry.seq} is NOT proven to be leaf ${String(body.leafIndex)} of the tree of ${treeHead.treeSize}`);
    }
  } else {
    const from = asTreeHead(body.from, `${file} from`);
    treeHead = asTreeHead(body.to, `${file} to`);
    const proof = body.proof as unknown;
    if (!Array.isArray(proof) || !proof.every(isHash)) throw new CliError(`${file} is not a consistency proof (from, to, proof)`);
    checkHead(from, trusted.publicKey, 'the older tree head', problems);
    checkHead(treeHead, trusted.publicKey, 'the newer tree head', problems);
    if (kept) {
      const saved = asTreeHead(readJson(kept), kept);
      if (saved.treeSize !== from.treeSize || saved.rootHash !== from.rootHash) {
        problems.push(
          `the proof starts at tree ${from.treeSize} ${from.rootHash}, not at the kept tree head ${saved.treeSize} ${saved.rootHash}`,
        );
      }
    }
    if (!verifyConsistency(from.treeSize, treeHead.treeSize, hex(from.rootHash), hex(treeHead.rootHash), proof.map(hex))) {
      problems.push(
        `the tree of ${from.treeSize} is NOT proven a prefix of the tree of ${treeHead.treeSize}: the log was rewritten or rolled back`,
      );
    }
  }
  return {
    kind,
    valid: problems.length === 0,
    treeHead,
    trustedKey: { ...trusted, keyId: treeHeadKeyId(trusted.publicKey) },
    problems,
  };
}

/** Human-readable lines for a verdict. */
export function describeLedgerProofVerdict(v: LedgerProofVerdict): string[] {
  const what = { 'tree-head': 'tree head', inclusion: 'inclusion proof', consistency: 'consistency proof' }[v.kind];
  const lines = [`ledger ${what} ${v.valid ? 'VERIFIED' : 'INVALID'}: tree of ${v.treeHead.treeSize} leaves, root ${v.treeHead.rootHash}`];
  lines.push(
    `  trusted key ${v.trustedKey.keyId} (${v.trustedKey.source === 'login' ? 'the server key pinned at aict login' : '--public-key'})`,
  );
  for (const problem of v.problems) lines.push(`  ${problem}`);
  return lines;
}
