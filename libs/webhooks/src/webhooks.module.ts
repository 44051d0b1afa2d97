import { Module } from '@nestjs/common';
import { LedgerModule } from '@app/ledger';
import { WebhookIntakeService } from './webhook-intake.service';
import { WebhooksController } from './webhooks.controller';

/** Intake from GitHub and generic signed webhooks; jobs come from the (global) jobs module. */
@Module({
  imports: [LedgerModule],
  controllers: [WebhooksController],
  providers: [WebhookIntakeService],
})
export class WebhooksModule {}
