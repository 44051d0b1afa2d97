import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { AgentsModule } from '@app/agents';
import { APP_CONFIG, AppConfig, LOGGER } from '@app/common';
import { HandledRole } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { ProvenanceModule } from '@app/provenance';
import { EventsModule } from '@app/events';
import { SandboxStatus, ToolsModule } from '@app/tools';
import { JobHandlerRegistry, WorkerModule, WorkerService } from '@app/worker';
import { BuilderHandler } from './builder.handler';
import { ClosingStages } from './closing-stages';
import { EscalationPolicy } from './escalation-policy';
import { JobArtifactsRepository } from './job-artifacts.repository';
import { JobSessions } from './job-sessions';
import { PipelineHandler } from './pipeline.handler';
import { WorkspaceJanitor } from './workspace-janitor';

/** The team: the roles, the pipeline a coordinator job runs (Planner, Builder, Reviewer, quality gate, TruthPack) and the Builder alone. */
@Module({
  imports: [AgentsModule, ProvenanceModule, LedgerModule, EventsModule, WorkerModule, ToolsModule.forRootAsync()],
  providers: [JobArtifactsRepository, JobSessions, EscalationPolicy, ClosingStages, BuilderHandler, PipelineHandler, WorkspaceJanitor],
  exports: [JobArtifactsRepository],
})
export class TeamModule implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly pipeline: PipelineHandler,
    private readonly builder: BuilderHandler,
    private readonly sandbox: SandboxStatus,
    private readonly worker: WorkerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // A job addressed to the coordinator runs the whole team; a builder job runs one role.
    this.handlers.register('coordinator' satisfies HandledRole, this.pipeline);
    this.handlers.register('builder' satisfies HandledRole, this.builder);
    if (this.config.role === 'api') return;
    // Prove the sandbox once at start-up: the log says what to fix, and readiness and metrics show it.
    void this.sandbox
      .check()
      .then((check) => this.worker.describe('sandbox', check))
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'sandbox check failed'));
  }
}
