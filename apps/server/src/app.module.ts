import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Logger } from 'pino';
import { AgentsModule } from '@app/agents';
import { ChatModule } from '@app/chat';
import { MetricsModule } from '@app/metrics';
import { NotificationsModule } from '@app/notifications';
import { AuthModule } from '@app/auth';
import { AppConfig, ConfigModule, DatabaseModule, LoggingModule } from '@app/common';
import { EventsModule } from '@app/events';
import { IntakeModule, ModelAwareJobIntake } from '@app/intake';
import { JobsModule } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { TdlnModule } from '@app/tdln';
import { WebhooksModule } from '@app/webhooks';
import { WorkerModule } from '@app/worker';
import { ENTITIES } from './entities';
import { HealthController } from './health.controller';

/** The whole service; which parts run (API, worker) follows `config.role`. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(ENTITIES),
        ScheduleModule.forRoot(),
        LedgerModule,
        EventsModule,
        TdlnModule,
        JobsModule.forRoot({ intake: ModelAwareJobIntake, imports: [IntakeModule] }),
        WorkerModule,
        AgentsModule,
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
