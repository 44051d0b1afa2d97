import { readFileSync } from 'node:fs';
import { InclusionProof, TdlnEngine, TruthPackStatement, loadTdlnBinding } from '@app/tdln';
import { CliError } from './cli-api';

/**
 * What a check proved, and the command's exit code for it:
 * - `verified` (0): intact, bound to its job, signed by the trusted key, every item included;
 * - `invalid` (1): something does not hold (tampered, or signed by another key than the trusted one);
 * - `legacy` (2): intact and signed by the trusted key, but an old pack whose signature covers the root alone;
 * - `self_consistent_only` (3): intact, but no trusted key was given, so nothing says who signed it.
 */
export type TruthPackOutcome = 'verified' | 'invalid' | 'legacy' | 'self_consistent_only';

export const TRUTHPACK_EXIT: Record<TruthPackOutcome, number> = { verified: 0, invalid: 1, legacy: 2, self_consistent_only: 3 };

/** Where the trusted key came from. */
export type TrustedKeySource = 'option' | 'login';

/** The verdict on a TruthPack file, checked offline. */
export interface TruthPackVerdict {
  outcome: TruthPackOutcome;
  /** True only for `verified`. */
  valid: boolean;
  /** Consistent with itself: items, leaves, root, statement, and the signature under the key the pack names. */
  intact: boolean;
  format: 'bound' | 'legacy';
  /** The signed statement of a bound pack: job, repository, commits, root, item count, time, key id. */
  statement: TruthPackStatement | null;
  itemsChecked: number;
  itemsIncluded: number;
  root: string;
  /** The key the pack names as its signer. */
  publicKey: string;
  keyId: string;
  /** The key trusted for this check, and where it came from; null when there was none. */
  trustedKey: { publicKey: string; keyId: string; source: TrustedKeySource } | null;
  problems: string[];
}

/**
 * Verifies a saved `GET /api/jobs/{id}/truthpack` answer with the TDLN engine: the statement and its
 * signature, every item's inclusion proof under the root, and that the signer is the trusted key
 * (`--public-key`, or the server key pinned at `aict login`). The key inside the file is never trusted.
 */
export function verifyTruthPackFile(file: string, trusted?: { publicKey: string; source: TrustedKeySource }): TruthPackVerdict {
  let doc: { jobId?: string; pack?: Record<string, unknown> | string; items?: unknown[]; proofs?: InclusionProof[] };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  if (!doc.pack) throw new CliError(`${file} has no "pack": save the answer of GET /api/jobs/<id>/truthpack`);
  const engine = new TdlnEngine(loadTdlnBinding());
  let trustedKeyId: string;
  try {
    trustedKeyId = trusted ? engine.truthPackKeyId(trusted.publicKey) : '';
  } catch {
    throw new CliError(`the trusted key ${trusted?.publicKey} is not an Ed25519 public key (64 hex characters)`);
  }
  const pack = typeof doc.pack === 'string' ? (JSON.parse(doc.pack) as Record<string, unknown>) : doc.pack;
  const problems: string[] = [];
  const check = engine.verifyTruthPack(engine.canonicalJson(pack), trusted?.publicKey);
  problems.push(...check.errors.map((e) => `pack: ${e.message}`));
  const statement = check.statement ?? null;
  if (statement && doc.jobId && statement.jobId !== doc.jobId)
    problems.push(`the pack is signed for job ${statement.jobId}, not ${doc.jobId}`);
  const items = doc.items ?? [];
  const proofs = doc.proofs ?? [];
  const root = String(pack.root ?? '');
  if (items.length !== Number(pack.size)) problems.push(`the pack seals ${String(pack.size)} items; the file has ${items.length}`);
  let included = 0;
  items.forEach((item, index) => {
    const proof = proofs[index];
    if (!proof) return void problems.push(`item ${index}: no inclusion proof`);
    const result = engine.verifyInclusion(item, proof, root);
    if (result.valid) included++;
    else problems.push(`item ${index}: ${result.errors.map((e) => e.message).join('; ') || 'not included under the root'}`);
  });
  const outcome: TruthPackOutcome =
    problems.length > 0 || !check.intact
      ? 'invalid'
      : check.keyTrust !== 'trusted'
        ? 'self_consistent_only'
        : check.format === 'legacy'
          ? 'legacy'
          : 'verified';
  return {
    outcome,
    valid: outcome === 'verified',
    intact: check.intact,
    format: check.format,
    statement,
    itemsChecked: items.length,
    itemsIncluded: included,
    root,
    publicKey: check.publicKey,
    keyId: check.keyId,
    trustedKey: trusted ? { publicKey: trusted.publicKey.toLowerCase(), keyId: trustedKeyId, source: trusted.source } : null,
    problems,
  };
}

/** The verdict in plain words, one fact a line. */
export function describeTruthPackVerdict(v: TruthPackVerdict): string[] {
  const from = v.trustedKey?.source === 'option' ? '--public-key' : 'the server key pinned at aict login';
  const lines: string[] = [];
  switch (v.outcome) {
    case 'verified':
      lines.push(`TruthPack VERIFIED: root ${v.root}`);
      break;
    case 'legacy':
      lines.push(`TruthPack LEGACY: consistency and root signature only, not bound to a job: root ${v.root}`);
      break;
    case 'self_consistent_only':
      lines.push(`TruthPack NOT VERIFIED: consistent with itself only: root ${v.root}`);
      lines.push(
        `  no trusted key: it names key ${v.keyId || '(none)'} as its signer, which proves nothing about who signed it; pass --public-key <hex> or run aict login to pin the server's key`,
      );
      break;
    case 'invalid':
      lines.push(`TruthPack INVALID: root ${v.root}`);
      break;
  }
  if (v.statement) {
    const s = v.statement;
    lines.push(
      `  bound to job ${s.jobId} on ${s.repository}, ${s.baseCommit.slice(0, 12)}..${s.headCommit.slice(0, 12)}, sealed ${s.sealedAt}`,
    );
  }
  if (v.trustedKey) {
    lines.push(
      v.trustedKey.keyId === v.keyId
        ? `  signed by the trusted key ${v.keyId} (from ${from})`
        : `  signed by key ${v.keyId || '(none)'}, NOT the trusted key ${v.trustedKey.keyId} (from ${from})`,
    );
  }
  lines.push(`  items included: ${v.itemsIncluded}/${v.itemsChecked}`);
  for (const problem of v.problems) lines.push(`  - ${problem}`);
  return lines;
}
