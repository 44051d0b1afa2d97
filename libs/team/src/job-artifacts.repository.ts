import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerDraft, LedgerService } from '@app/ledger';

/** Writes what a run produced onto its job row, and the audit entries agents make along the way. */
@Injectable()
export class JobArtifactsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
  ) {}

  /** Stores the patch and branch, if this worker still holds the job. */
  async storePatch(jobId: string, workerId: string, patch: string, branch: string): Promise<void> {
    await this.dataSource.query(`UPDATE jobs SET patch = $3, branch = $4, updated_at = now() WHERE id = $1 AND worker_id = $2`, [
      jobId,
      workerId,
      patch,
      branch,
    ]);
  }

  /** Appends entries to the ledger in a transaction of their own. */
  async audit(drafts: LedgerDraft[]): Promise<void> {
    await this.dataSource.transaction((manager) => this.ledger.append(manager, drafts));
  }
}
