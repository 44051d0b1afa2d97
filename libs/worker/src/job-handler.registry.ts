import { Injectable } from '@nestjs/common';
import { JobHandler } from './job-handler';

/** Which handler works which agent role; feature modules register theirs at start-up. */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly replaced = new Set<string>();

  /** Registers the handler of a role; a role already replaced (see {@link replace}) keeps its replacement. */
  register(role: string, handler: JobHandler): void {
    if (this.replaced.has(role)) return;
    if (this.handlers.has(role)) throw new Error(`A handler for role "${role}" is already registered`);
    this.handlers.set(role, handler);
  }

  /**
   * Replaces (or sets) the handler of a role, also before the modules register theirs (they then keep
   * this one); for tests, benchmarks and pipelines that supersede a simpler handler.
   */
  replace(role: string, handler: JobHandler): void {
    this.replaced.add(role);
    this.handlers.set(role, handler);
  }

  get(role: string): JobHandler | undefined {
    return this.handlers.get(role);
  }

  roles(): string[] {
    return [...this.handlers.keys()];
  }
}
