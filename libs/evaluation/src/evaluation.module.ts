import { Module, OnModuleInit } from '@nestjs/common';
import { HandledRole } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { TeamModule } from '@app/team';
import { JobHandlerRegistry, JobLifecycleHooks, WorkerModule } from '@app/worker';
import { EvaluationController } from './evaluation.controller';
import { EvaluationService } from './evaluation.service';
import { EvaluatorHandler } from './evaluator.handler';

/** Evaluation: each ended run is queued for the Evaluator, which scores it; the evaluations API. */
@Module({
  imports: [LedgerModule, WorkerModule, TeamModule],
  controllers: [EvaluationController],
  providers: [EvaluationService, EvaluatorHandler],
  exports: [EvaluationService],
})
export class EvaluationModule implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly hooks: JobLifecycleHooks,
    private readonly evaluator: EvaluatorHandler,
    private readonly evaluations: EvaluationService,
  ) {}

  onModuleInit(): void {
    this.handlers.register('evaluator' satisfies HandledRole, this.evaluator);
    this.hooks.onRunsEnded((manager, ended) => this.evaluations.enqueueFor(manager, ended));
  }
}
