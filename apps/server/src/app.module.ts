import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Logger } from 'pino';
import { AgentsModule } from '@app/agents';
import { ChatModule } from '@app/chat';
import { MetricsModule } from '@app/metrics';
import { NotificationsModule } from '@app/notifications';
import { ProvenanceModule } from '@app/provenance';
import { AuthModule } from '@app/auth';
import { AppConfig, ConfigModule, DatabaseModule, HostLookup, LoggingModule, RepositoryAccessModule } from '@app/common';
import { EvaluationModule } from '@app/evaluation';
import { EventsModule } from '@app/events';
import { IntakeModule, ModelAwareJobIntake } from '@app/intake';
import { JobsModule } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { TdlnModule } from '@app/tdln';
import { TeamModule } from '@app/team';
import { WatcherModule } from '@app/watcher';
import { WebhooksModule } from '@app/webhooks';
import { WorkerModule } from '@app/worker';
import { ENTITIES } from './entities';
import { HealthController } from './health.controller';

/** What a process may replace besides its configuration: tests give a resolver whose names they control. */
export interface AppOptions {
  hostLookup?: HostLookup;
}

/** The whole service; which parts run (API, worker) follows `config.role`. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        RepositoryAccessModule.forRoot({ lookup: options.hostLookup }),
        DatabaseModule.forRoot(ENTITIES),
        ScheduleModule.forRoot(),
        LedgerModule,
        EventsModule,
        TdlnModule,
        JobsModule.forRoot({ intake: ModelAwareJobIntake, imports: [IntakeModule] }),
        WorkerModule,
        AgentsModule,
        ProvenanceModule,
        TeamModule,
        EvaluationModule,
        WatcherModule,
        ChatModule,
        NotificationsModule,
        MetricsModule,
        AuthModule,
        WebhooksModule,
      ],
      controllers: [HealthController],
    };
  }
}
