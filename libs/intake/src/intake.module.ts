import { Module } from '@nestjs/common';
import { AgentsModule } from '@app/agents';
import { IntakeController } from './intake.controller';
import { IntakeModel } from './intake-model';
import { IntakeService } from './intake.service';
import { ModelAwareJobIntake } from './job-intake.adapter';

/** Intake: one path that understands and judges a request, for the API, chat, webhooks, the CLI and the preview. */
@Module({
  imports: [AgentsModule],
  controllers: [IntakeController],
  providers: [IntakeModel, IntakeService, ModelAwareJobIntake],
  exports: [IntakeService, ModelAwareJobIntake],
})
export class IntakeModule {}
