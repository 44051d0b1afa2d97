import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IntField, StringField, UuidField } from '@app/common';
import { LedgerEntry } from '../entities/ledger-entry.entity';
import { SignedTreeHead } from '../tree-head';
import { LedgerConsistencyProof, LedgerInclusionProof } from '../ledger.types';

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/** Query of `GET /api/ledger`. */
export class ListLedgerQuery {
  @UuidField({ description: 'Only entries of this job', optional: true })
  jobId?: string;

  @StringField({ description: 'Only entries of this kind (e.g. job.status)', optional: true, maxLength: 100 })
  kind?: string;

  @IntField({ description: 'Page size', optional: true, min: 1, max: 1000 })
  limit?: number;

  @StringField({ description: 'Opaque cursor from the previous page', optional: true, maxLength: 500 })
  cursor?: string;
}

/** One ledger entry as the API shows it. */
export class LedgerEntryView {
  @ApiProperty() seq: number;
  @ApiProperty({ format: 'date-time' }) ts: string;
  @ApiProperty() kind: string;
  @ApiProperty() actor: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) jobId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) conversationId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) traceId: string | null;
  @ApiProperty() summary: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Entries chained before the Merkle log only: hash of the entry before (hex SHA-256)',
  })
  prevHash: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Entries chained before the Merkle log only: SHA-256(prevHash || RFC 8785 canonical JSON of the entry without hash)',
  })
  hash: string | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Position in the Merkle log; null until the sequencer has integrated the entry',
  })
  leafIndex: number | null;

  static of(entry: LedgerEntry): LedgerEntryView {
    return Object.assign(new LedgerEntryView(), { ...entry, ts: entry.ts.toISOString() });
  }
}

/** A page of ledger entries. */
export class LedgerPage {
  @ApiProperty({ type: [LedgerEntryView] }) items: LedgerEntryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** Query of `GET /api/ledger/verify`. */
export class VerifyLedgerQuery {
  @IntField({
    description: 'Size of a tree head you kept (with rootHash): the log must still contain it',
    optional: true,
    min: 1,
    max: MAX_SIZE,
  })
  treeSize?: number;

  @StringField({ description: 'Root hash of that tree head (hex)', optional: true, maxLength: 64, pattern: /^[0-9a-f]{64}$/ })
  rootHash?: string;
}

/** Result of recomputing the log. */
export class LedgerVerificationView {
  @ApiProperty({ description: 'True when every leaf, chain link and signed tree head holds' }) ok: boolean;
  @ApiProperty({ description: 'Entries checked before stopping' }) checked: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Id of the entry at the last leaf checked' }) headSeq: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Root hash of the latest signed tree head checked' }) headHash: string | null;
  @ApiProperty({ description: 'Size of the latest signed tree head checked' }) treeSize: number;
  @ApiProperty({ description: 'Signed tree heads whose signature and root were checked' }) treeHeadsChecked: number;
  @ApiProperty({ description: 'Committed entries not yet integrated by the sequencer (not covered by this check)' }) pending: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'The first entry that does not verify' }) firstBadSeq: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reason: string | null;
}

/** A signed tree head (RFC 6962 §3.5 shape): size, root, time and key id, signed with Ed25519. */
export class TreeHeadView {
  @ApiProperty({ description: 'Number of leaves' }) treeSize: number;
  @ApiProperty({ description: 'Merkle Tree Hash of the leaves (hex SHA-256)' }) rootHash: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({ description: "Id of the signing key (the server's TruthPack key)" }) keyId: string;
  @ApiProperty({
    description: 'Hex Ed25519 signature of 0x00 0x01 || timestamp ms (uint64 BE) || treeSize (uint64 BE) || rootHash (32 bytes)',
  })
  signature: string;

  static of(head: SignedTreeHead): TreeHeadView {
    return Object.assign(new TreeHeadView(), head);
  }
}

/** Query of `GET /api/ledger/proof/inclusion`. */
export class InclusionProofQuery {
  @IntField({ description: 'Entry id (seq)', min: 1, max: MAX_SIZE })
  entry: number;

  @IntField({ description: 'Size of a signed tree head (default: the latest)', optional: true, min: 1, max: MAX_SIZE })
  size?: number;
}

/** Proof that an entry is a leaf of a signed tree. */
export class InclusionProofView {
  @ApiProperty({ type: LedgerEntryView }) entry: LedgerEntryView;
  @ApiProperty() leafIndex: number;
  @ApiProperty({ description: 'SHA-256(0x00 || RFC 8785 canonical JSON of the entry), hex' }) leafHash: string;
  @ApiProperty({ type: TreeHeadView }) treeHead: TreeHeadView;
  @ApiProperty({ type: [String], description: 'Sibling hashes, nearest first (RFC 9162 §2.1.3)' }) auditPath: string[];

  static of(proof: LedgerInclusionProof): InclusionProofView {
    return Object.assign(new InclusionProofView(), {
      ...proof,
      entry: LedgerEntryView.of(proof.entry),
      treeHead: TreeHeadView.of(proof.treeHead),
    });
  }
}

/** Query of `GET /api/ledger/proof/consistency`. */
export class ConsistencyProofQuery {
  @IntField({ description: 'Size of the older signed tree head', min: 1, max: MAX_SIZE })
  from: number;

  @IntField({ description: 'Size of the newer signed tree head', min: 1, max: MAX_SIZE })
  to: number;
}

/** Proof that one signed tree is a prefix of another. */
export class ConsistencyProofView {
  @ApiProperty({ type: TreeHeadView }) from: TreeHeadView;
  @ApiProperty({ type: TreeHeadView }) to: TreeHeadView;
  @ApiProperty({ type: [String], description: 'RFC 9162 §2.1.4 consistency proof, hex' }) proof: string[];

  static of(proof: LedgerConsistencyProof): ConsistencyProofView {
    return Object.assign(new ConsistencyProofView(), {
      from: TreeHeadView.of(proof.from),
      to: TreeHeadView.of(proof.to),
      proof: proof.proof,
    });
  }
}

/** The key that signs tree heads. */
export class LedgerKeyView {
  @ApiProperty({ enum: ['ed25519'] }) algorithm: 'ed25519';
  @ApiProperty({ description: 'Ed25519 public key, hex' }) publicKey: string;
  @ApiProperty() keyId: string;
}
