import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { LedgerService } from './ledger.service';
import { LedgerSequencer } from './ledger-sequencer.service';
import { LedgerController } from './ledger.controller';

/** The tamper-evident audit trail: an append-only Merkle log with signed tree heads. */
@Module({
  imports: [TypeOrmModule.forFeature([LedgerEntry])],
  controllers: [LedgerController],
  providers: [LedgerService, LedgerSequencer],
  exports: [LedgerService],
})
export class LedgerModule {}
