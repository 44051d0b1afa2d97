import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IntField, StringField, UuidField } from '@app/common';
import { LedgerEntry } from '../entities/ledger-entry.entity';

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
  @ApiProperty({ description: 'Hash of the entry before this one (hex SHA-256)' }) prevHash: string;
  @ApiProperty({ description: 'SHA-256(prevHash || RFC 8785 canonical JSON of the entry without hash)' }) hash: string;

  static of(entry: LedgerEntry): LedgerEntryView {
    return Object.assign(new LedgerEntryView(), { ...entry, ts: entry.ts.toISOString() });
  }
}

/** A page of ledger entries. */
export class LedgerPage {
  @ApiProperty({ type: [LedgerEntryView] }) items: LedgerEntryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** Result of walking the chain. */
export class LedgerVerificationView {
  @ApiProperty({ description: 'True when every link and hash holds' }) ok: boolean;
  @ApiProperty({ description: 'Entries checked before stopping' }) checked: number;
  @ApiProperty({ type: Number, nullable: true }) headSeq: number | null;
  @ApiProperty({ type: String, nullable: true }) headHash: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'The first entry that does not verify' }) firstBadSeq: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reason: string | null;
}
