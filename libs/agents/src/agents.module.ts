import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER } from '@app/common';
import { LedgerModule } from '@app/ledger';
import { ToolsModule, WorkspaceManager } from '@app/tools';
import { JobHandlerRegistry, WorkerModule } from '@app/worker';
import { BudgetService } from './budget/budget.service';
import { BuilderHandler } from './handlers/builder.handler';
import { JobArtifactsRepository } from './handlers/job-artifacts.repository';
import { ModelGateway } from './model/model-gateway';
import { AgentRunner } from './runtime/agent-runner';

const JANITOR_INTERVAL_MS = 15 * 60_000;

/** The agent runtime: model gateway, budgets, the agent loop, and the handlers the worker runs. */
@Module({
  imports: [
    LedgerModule,
    WorkerModule,
    ToolsModule.forRootAsync(),
  ],
  providers: [ModelGateway, BudgetService, AgentRunner, JobArtifactsRepository, BuilderHandler],
  exports: [ModelGateway, BudgetService, AgentRunner],
})
export class AgentsModule implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly builder: BuilderHandler,
    private readonly workspaces: WorkspaceManager,
    private readonly scheduler: SchedulerRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // Until the team pipeline lands, a job is worked by one Builder-style agent.
    this.handlers.register('coordinator', this.builder);
    this.handlers.register('builder', this.builder);
    if (this.config.role !== 'api') {
      const timer = setInterval(() => void this.cleanWorkspaces(), JANITOR_INTERVAL_MS);
      timer.unref();
      this.scheduler.addInterval('workspace-janitor', timer);
    }
  }

  /** Removes the workspaces of jobs that ended longer ago than the retention period. */
  async cleanWorkspaces(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'aborted') AND finished_at < now() - $1 * interval '1 millisecond'`,
      [this.config.workspaces.retentionMs],
    );
    const removed = await this.workspaces.janitor(rows.map((r) => r.id));
    if (removed.length > 0) this.logger.info({ removed: removed.length }, 'removed workspaces of finished jobs');
    return removed;
  }
}
