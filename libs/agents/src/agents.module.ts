import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER } from '@app/common';
import { EventsModule, EventsService } from '@app/events';
import { LedgerModule } from '@app/ledger';
import { SandboxStatus, ToolsModule, WorkspaceManager } from '@app/tools';
import { HANDLED_ROLES, HandledRole } from '@app/jobs';
import { JobHandler, JobHandlerRegistry, JobLifecycleHooks, WorkerModule, WorkerService } from '@app/worker';
import { BudgetService } from './budget/budget.service';
import { EvaluationController } from './evaluation/evaluation.controller';
import { EvaluationService } from './evaluation/evaluation.service';
import { EvaluatorHandler } from './evaluation/evaluator.handler';
import { BuilderHandler } from './handlers/builder.handler';
import { EscalationPolicy } from './handlers/escalation-policy';
import { JobArtifactsRepository } from './handlers/job-artifacts.repository';
import { PipelineHandler } from './handlers/pipeline.handler';
import { ModelGateway } from './model/model-gateway';
import { TruthPackController } from './provenance/truthpack.controller';
import { TruthPackService } from './provenance/truthpack.service';
import { AgentRunner } from './runtime/agent-runner';
import { InsightsController } from './watcher/insights.controller';
import { WatcherService } from './watcher/watcher.service';

const JANITOR_INTERVAL_MS = 15 * 60_000;
const REMINDER_CHECK_MS = 60_000;

/** The agent team: model gateway, budgets, the agent loop, the pipeline and single-role handlers, evaluations, provenance, the Watcher. */
@Module({
  imports: [LedgerModule, EventsModule, WorkerModule, ToolsModule.forRootAsync()],
  controllers: [TruthPackController, EvaluationController, InsightsController],
  providers: [
    ModelGateway,
    BudgetService,
    AgentRunner,
    JobArtifactsRepository,
    EscalationPolicy,
    BuilderHandler,
    PipelineHandler,
    TruthPackService,
    EvaluationService,
    EvaluatorHandler,
    WatcherService,
  ],
  exports: [ModelGateway, BudgetService, AgentRunner, TruthPackService, EvaluationService, WatcherService],
})
export class AgentsModule implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly hooks: JobLifecycleHooks,
    private readonly pipeline: PipelineHandler,
    private readonly builder: BuilderHandler,
    private readonly evaluator: EvaluatorHandler,
    private readonly evaluations: EvaluationService,
    private readonly watcher: WatcherService,
    private readonly workspaces: WorkspaceManager,
    private readonly sandbox: SandboxStatus,
    private readonly worker: WorkerService,
    private readonly events: EventsService,
    private readonly scheduler: SchedulerRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // A job addressed to the coordinator runs the whole team; the others run one role. Typed by the
    // jobs lib's role table, so the roles a request may name are exactly the roles handled here.
    const byRole: Record<HandledRole, JobHandler> = { coordinator: this.pipeline, builder: this.builder, evaluator: this.evaluator };
    for (const role of HANDLED_ROLES) this.handlers.register(role, byRole[role]);
    this.hooks.onRunsEnded((manager, ended) => this.evaluations.enqueueFor(manager, ended));
    if (this.config.role === 'api') return;
    // Prove the sandbox once at start-up: the log says what to fix, and readiness and metrics show it.
    void this.sandbox
      .check()
      .then((check) => this.worker.describe('sandbox', check))
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'sandbox check failed'));
    this.every('workspace-janitor', JANITOR_INTERVAL_MS, () => this.cleanWorkspaces());
    this.every('watcher', this.config.pipeline.watcherIntervalMs, () => this.watcher.runOnce());
    this.every('waiting-reminders', Math.min(REMINDER_CHECK_MS, this.config.pipeline.reminderAfterMs), () => this.remindWaiting());
  }

  private every(name: string, ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: Error) => this.logger.warn({ task: name, err: error.message }, 'scheduled task failed'));
    }, ms);
    timer.unref();
    this.scheduler.addInterval(name, timer);
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

  /** A `reminder` event for each job that has waited for a person longer than REMINDER_AFTER_MS (once per wait). */
  async remindWaiting(): Promise<number> {
    const rows: { id: string; trace_id: string; conversation_id: string | null; question: string | null }[] = await this.dataSource.query(
      `SELECT j.id, j.trace_id, j.conversation_id, j.pending_question->>'question' AS question FROM jobs j
        WHERE j.status = 'waiting_human' AND j.updated_at < now() - $1 * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.job_id = j.id AND e.type = 'reminder' AND e.created_at > j.updated_at)`,
      [this.config.pipeline.reminderAfterMs],
    );
    if (rows.length === 0) return 0;
    await this.events.recordNow(
      rows.map((r) => ({
        type: 'reminder',
        jobId: r.id,
        traceId: r.trace_id,
        conversationId: r.conversation_id,
        summary: `still waiting for a person: ${r.question ?? ''}`.trim(),
        data: { question: r.question },
      })),
    );
    return rows.length;
  }
}
