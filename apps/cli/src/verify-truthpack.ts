import { readFileSync } from 'node:fs';
import { InclusionProof, TdlnEngine, loadTdlnBinding } from '@app/tdln';
import { CliError } from './cli-api';

/** The verdict on a TruthPack file, checked offline. */
export interface TruthPackVerdict {
  valid: boolean;
  signatureValid: boolean;
  itemsChecked: number;
  itemsIncluded: number;
  root: string;
  publicKey: string;
  keySource: 'option' | 'file';
  problems: string[];
}

/**
 * Verifies a saved `GET /api/jobs/{id}/truthpack` answer with the TDLN engine: the signature over
 * the Merkle root, and every item's inclusion proof under that root.
 */
export function verifyTruthPackFile(file: string, publicKey?: string): TruthPackVerdict {
  let doc: { pack?: Record<string, unknown> | string; items?: unknown[]; proofs?: InclusionProof[]; publicKey?: string };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  if (!doc.pack) throw new CliError(`${file} has no "pack": save the answer of GET /api/jobs/<id>/truthpack`);
  const key = publicKey ?? doc.publicKey;
  if (!key) throw new CliError(`${file} has no publicKey; pass --public-key`);
  const engine = new TdlnEngine(loadTdlnBinding());
  const pack = typeof doc.pack === 'string' ? (JSON.parse(doc.pack) as Record<string, unknown>) : doc.pack;
  const problems: string[] = [];
  const signature = engine.verifyTruthPack(engine.canonicalJson(pack), key);
  problems.push(...signature.errors.map((e) => `pack: ${e.message}`));
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
  return {
    valid: signature.valid && problems.length === 0,
    signatureValid: signature.valid,
    itemsChecked: items.length,
    itemsIncluded: included,
    root,
    publicKey: key,
    keySource: publicKey ? 'option' : 'file',
    problems,
  };
}
