import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SIGNING_KEY, SigningKey, TDLN, TdlnEngine, InclusionProof } from '@app/tdln';
import { AgentsErrorCode, AgentsException } from '../agents.errors';

/** One provenance item; `kind` says what it is (intent, policy_decision, plan, tool_call, patch, tests, quality, answer...). */
export type ProvenanceItem = { kind: string } & Record<string, unknown>;

/** A stored TruthPack with everything needed to check it offline. */
export interface StoredTruthPack {
  jobId: string;
  root: string;
  size: number;
  pack: Record<string, unknown>;
  items: ProvenanceItem[];
  publicKey: string;
  createdAt: Date;
}

/** Seals a job's provenance into a signed Merkle tree (TDLN truthpack) and serves it with inclusion proofs. */
@Injectable()
export class TruthPackService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
  ) {}

  /** Builds, signs and stores the pack (a retried job's new pack replaces its old one; the ledger keeps both roots). */
  async seal(jobId: string, items: ProvenanceItem[]): Promise<{ root: string; size: number; publicKey: string }> {
    const built = this.tdln.buildTruthPack(items, this.key.secretKey);
    if (!built.pack || !built.packJson)
      throw new AgentsException(
        AgentsErrorCode.NoResult,
        `The TruthPack could not be built: ${built.errors.map((e) => e.message).join('; ')}`,
      );
    await this.dataSource.query(
      `INSERT INTO truth_packs (job_id, root, size, pack, items, public_key) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
       ON CONFLICT (job_id) DO UPDATE SET root = EXCLUDED.root, size = EXCLUDED.size, pack = EXCLUDED.pack, items = EXCLUDED.items,
                                          public_key = EXCLUDED.public_key, created_at = date_trunc('milliseconds', now())`,
      [jobId, built.pack.root, built.pack.size, built.packJson, JSON.stringify(items), this.key.publicKey],
    );
    return { root: built.pack.root, size: built.pack.size, publicKey: this.key.publicKey };
  }

  async get(jobId: string): Promise<StoredTruthPack | null> {
    const [row] = await this.dataSource.query('SELECT * FROM truth_packs WHERE job_id = $1', [jobId]);
    if (!row) return null;
    return {
      jobId,
      root: row.root,
      size: row.size,
      pack: row.pack,
      items: row.items,
      publicKey: row.public_key,
      createdAt: row.created_at,
    };
  }

  /** An RFC 6962 inclusion proof for every item. */
  proofs(items: ProvenanceItem[]): InclusionProof[] {
    return items.map((_, index) => this.tdln.inclusionProof(items, index));
  }

  /** Verifies a pack (signature, Merkle root over its leaves) against a public key. */
  verify(pack: unknown, publicKey: string): { valid: boolean; errors: { code: string; message: string }[] } {
    return this.tdln.verifyTruthPack(typeof pack === 'string' ? pack : this.tdln.canonicalJson(pack), publicKey);
  }

  /** Whether each item hashes to a leaf under the root (items not tampered with). */
  verifyItems(items: ProvenanceItem[], proofs: InclusionProof[], root: string): boolean {
    return items.length === proofs.length && items.every((item, i) => this.tdln.verifyInclusion(item, proofs[i], root).valid);
  }

  get publicKey(): string {
    return this.key.publicKey;
  }
}
