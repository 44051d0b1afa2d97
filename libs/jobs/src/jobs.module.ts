import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '@app/events';
import { LedgerModule } from '@app/ledger';
import { Job } from './entities/job.entity';
import { JOB_INTAKE, JobIntake, PassThroughIntake } from './intake/job-intake';
import { JobTransitions } from './job-transitions.service';
import { JobsService } from './jobs.service';
import { JobStatsService } from './job-stats.service';
import { JobsController } from './jobs.controller';
import { CreateJobUseCase } from './usecases/create-job.usecase';
import { CancelJobUseCase } from './usecases/cancel-job.usecase';
import { RetryJobUseCase } from './usecases/retry-job.usecase';
import { RespondJobUseCase } from './usecases/respond-job.usecase';
import { EscalateJobUseCase } from './usecases/escalate-job.usecase';
import { WaitingReminders } from './waiting-reminders.service';

export interface JobsModuleOptions {
  /** The intake that understands requests; defaults to taking the goal as given. */
  intake?: Type<JobIntake>;
  /** Modules the intake needs. */
  imports?: ModuleMetadata['imports'];
}

/** Jobs: the API, the state machine, the use cases that change jobs and the reminders of jobs waiting for a person. */
@Module({})
export class JobsModule {
  static forRoot(options: JobsModuleOptions = {}): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      imports: [TypeOrmModule.forFeature([Job]), LedgerModule, EventsModule, ...(options.imports ?? [])],
      controllers: [JobsController],
      providers: [
        { provide: JOB_INTAKE, useClass: options.intake ?? PassThroughIntake },
        JobTransitions,
        JobsService,
        JobStatsService,
        CreateJobUseCase,
        CancelJobUseCase,
        RetryJobUseCase,
        RespondJobUseCase,
        EscalateJobUseCase,
        WaitingReminders,
      ],
      exports: [
        JobTransitions,
        JobsService,
        JobStatsService,
        CreateJobUseCase,
        CancelJobUseCase,
        RetryJobUseCase,
        RespondJobUseCase,
        EscalateJobUseCase,
      ],
    };
  }
}
