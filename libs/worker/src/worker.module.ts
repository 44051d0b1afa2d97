import { Module } from '@nestjs/common';
import { EventsModule } from '@app/events';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobLifecycleHooks } from './job-lifecycle.hooks';
import { QueueRepository } from './queue.repository';
import { WorkerService } from './worker.service';

/** The in-process queue worker; it runs unless the process role is `api`. */
@Module({
  imports: [EventsModule],
  providers: [JobHandlerRegistry, JobLifecycleHooks, QueueRepository, WorkerService],
  exports: [JobHandlerRegistry, JobLifecycleHooks, QueueRepository, WorkerService],
})
export class WorkerModule {}
