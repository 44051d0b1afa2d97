export * from './job-handler';
export * from './job-handler.registry';
export * from './queue.repository';
export * from './worker.service';
export * from './worker.module';
export * from './job-lifecycle.hooks';
