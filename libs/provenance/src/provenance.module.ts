import { Module } from '@nestjs/common';
import { LedgerModule } from '@app/ledger';
import { TruthPackController } from './truthpack.controller';
import { TruthPackService } from './truthpack.service';

/** Provenance: the signed TruthPack of each delivered job, its API and its offline verification. */
@Module({
  imports: [LedgerModule],
  controllers: [TruthPackController],
  providers: [TruthPackService],
  exports: [TruthPackService],
})
export class ProvenanceModule {}
