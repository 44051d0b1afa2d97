import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SIGNING_KEY, SigningKey, TDLN, TdlnEngine, InclusionProof, TruthPackStatement, TruthPackVerification } from '@app/tdln';
import { AgentsErrorCode } from '@app/agents';
import { DomainException } from '@app/common';

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

/** The commits a job's pack is bound to. */
export interface SealedCommits {
  /** Commit the job started from. */
  baseCommit: string;
  /** Commit its work ends at (the one pushed; the base commit when nothing changed). */
  headCommit: string;
}

/** What sealing produced. */
export interface SealedTruthPack {
  root: string;
  size: number;
  publicKey: string;
  keyId: string;
  statement: TruthPackStatement;
}

/** The server's TruthPack verification key, as served and printed at start-up. */
export interface TruthPackKey {
  algorithm: 'ed25519';
  publicKey: string;
  keyId: string;
}

/** The verdict on a pack checked against this server's current key (and, for a stored pack, its job). */
export type TruthPackCheck = TruthPackVerification & {
  /** Id of this server's current key. */
  serverKeyId: string;
  /** Whether the pack was signed by this server's current key. */
  signedByServerKey: boolean;
};

/** Seals a job's provenance into a signed Merkle tree bound to the job (TDLN truthpack) and serves it with inclusion proofs. */
@Injectable()
export class TruthPackService {
  readonly key: TruthPackKey;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(SIGNING_KEY) private readonly signingKey: SigningKey,
  ) {
    this.key = { algorithm: 'ed25519', publicKey: signingKey.publicKey, keyId: tdln.truthPackKeyId(signingKey.publicKey) };
  }

  /** The Merkle root the pack of these items will carry (it goes into the commit before the statement naming that commit is signed). */
  rootOf(items: ProvenanceItem[]): string {
    return this.tdln.truthPackRoot(items);
  }

  /**
   * Builds the pack, signs the statement binding it to the job (id, repository, base and head commits,
   * root, item count, time, key id) and stores it; a retried job's new pack replaces its old one (the
   * ledger keeps both roots).
   */
  async seal(job: { id: string; repo: string }, items: ProvenanceItem[], commits: SealedCommits): Promise<SealedTruthPack> {
    const built = this.tdln.buildTruthPack(
      items,
      { jobId: job.id, repository: job.repo, ...commits, sealedAt: new Date().toISOString() },
      this.signingKey.secretKey,
    );
    if (!built.pack?.statement || !built.packJson)
      throw new DomainException(
        AgentsErrorCode.NoResult,
        `The TruthPack could not be built: ${built.errors.map((e) => e.message).join('; ')}`,
      );
    await this.dataSource.query(
      `INSERT INTO truth_packs (job_id, root, size, pack, items, public_key) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
       ON CONFLICT (job_id) DO UPDATE SET root = EXCLUDED.root, size = EXCLUDED.size, pack = EXCLUDED.pack, items = EXCLUDED.items,
                                          public_key = EXCLUDED.public_key, created_at = date_trunc('milliseconds', now())`,
      [job.id, built.pack.root, built.pack.size, built.packJson, JSON.stringify(items), this.key.publicKey],
    );
    return {
      root: built.pack.root,
      size: built.pack.size,
      publicKey: this.key.publicKey,
      keyId: this.key.keyId,
      statement: built.pack.statement,
    };
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

  /** An RFC 6962 inclusion proof for every item, computed in one pass over the tree. */
  proofs(items: ProvenanceItem[]): InclusionProof[] {
    return this.tdln.inclusionProofs(items);
  }

  /**
   * Verifies a pack against a trusted key: this server's current key unless another is given. The
   * public key a pack carries (or the row stores) is never the one trusted: it names the signer.
   */
  verify(pack: unknown, trustedKey: string = this.key.publicKey): TruthPackCheck {
    const verdict = this.tdln.verifyTruthPack(typeof pack === 'string' ? pack : this.tdln.canonicalJson(pack), trustedKey);
    return {
      ...verdict,
      serverKeyId: this.key.keyId,
      signedByServerKey: verdict.publicKey !== '' && verdict.publicKey === this.key.publicKey.toLowerCase(),
    };
  }

  /** A stored pack checked against this server's current key and against the job it is stored for. */
  verifyStored(stored: StoredTruthPack, job: { id: string; repo: string }): TruthPackCheck {
    const check = this.verify(stored.pack);
    const statement = check.statement;
    const errors = [...check.errors];
    if (statement && statement.jobId !== job.id)
      errors.push({ code: 'statement_job', message: `the pack is signed for job ${statement.jobId}, not ${job.id}`, path: 'statement' });
    if (statement && statement.repository !== job.repo)
      errors.push({
        code: 'statement_repository',
        message: `the pack is signed for repository ${statement.repository}, not ${job.repo}`,
        path: 'statement',
      });
    return { ...check, valid: check.valid && errors.length === check.errors.length, errors };
  }

  /** Whether each item hashes to a leaf under the root (items not tampered with). */
  verifyItems(items: ProvenanceItem[], proofs: InclusionProof[], root: string): boolean {
    return items.length === proofs.length && items.every((item, i) => this.tdln.verifyInclusion(item, proofs[i], root).valid);
  }

  get publicKey(): string {
    return this.key.publicKey;
  }
}
