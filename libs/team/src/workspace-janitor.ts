import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, scheduleEvery } from '@app/common';
import { JobsService } from '@app/jobs';
import { WorkspaceManager } from '@app/tools';

const JANITOR_INTERVAL_MS = 15 * 60_000;

/** Removes the workspaces the team prepared for jobs that ended longer ago than WORKSPACE_RETENTION (worker processes, every 15 minutes). */
@Injectable()
export class WorkspaceJanitor implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly workspaces: WorkspaceManager,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    if (this.config.role === 'api') return;
    scheduleEvery(this.scheduler, this.logger, 'workspace-janitor', JANITOR_INTERVAL_MS, () => this.cleanWorkspaces());
  }

  /** Removes the workspaces of jobs that ended longer ago than the retention period. */
  async cleanWorkspaces(): Promise<string[]> {
    const ended = await this.jobs.endedBefore(this.config.workspaces.retentionMs);
    const removed = await this.workspaces.janitor(ended);
    if (removed.length > 0) this.logger.info({ removed: removed.length }, 'removed workspaces of finished jobs');
    return removed;
  }
}
