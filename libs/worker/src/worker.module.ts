import { Module } from '@nestjs/common';
import { EventsModule } from '@app/events';
import { JobHandlerRegistry } from './job-handler.registry';
import { QueueRepository } from './queue.repository';
import { WorkerService } from './worker.service';

/** The in-process queue worker; it runs unless the process role is `api`. */
@Module({
  imports: [EventsModule],
  providers: [JobHandlerRegistry, QueueRepository, WorkerService],
  exports: [JobHandlerRegistry, QueueRepository, WorkerService],
})
export class WorkerModule {}
