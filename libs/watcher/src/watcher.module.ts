import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, scheduleEvery } from '@app/common';
import { EventsModule } from '@app/events';
import { LedgerModule } from '@app/ledger';
import { InsightsController } from './insights.controller';
import { WatcherService } from './watcher.service';

/** The Watcher: reads the ledger and events on a timer (worker processes) and records what it finds; the insights API. */
@Module({
  imports: [LedgerModule, EventsModule],
  controllers: [InsightsController],
  providers: [WatcherService],
  exports: [WatcherService],
})
export class WatcherModule implements OnModuleInit {
  constructor(
    private readonly watcher: WatcherService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    if (this.config.role === 'api') return;
    scheduleEvery(this.scheduler, this.logger, 'watcher', this.config.pipeline.watcherIntervalMs, () => this.watcher.runOnce());
  }
}
