import { SchedulerRegistry } from '@nestjs/schedule';
import { Logger } from 'pino';

/**
 * Runs `task` every `ms` milliseconds under `name` in the scheduler (so shutdown clears it); a failed
 * run is logged and the next one runs as planned. The timer does not keep the process alive.
 */
export function scheduleEvery(scheduler: SchedulerRegistry, logger: Logger, name: string, ms: number, task: () => Promise<unknown>): void {
  const timer = setInterval(() => {
    task().catch((error: Error) => logger.warn({ task: name, err: error.message }, 'scheduled task failed'));
  }, ms);
  timer.unref();
  scheduler.addInterval(name, timer);
}
