import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Logger } from 'pino';
import { LOGGER, prometheus } from '@app/common';
import { Sandbox, SandboxCheck } from './sandbox';

const available = new Gauge({
  name: 'aict_sandbox_available',
  help: 'Whether this process can run sandboxed commands (1), runs them without isolation (SANDBOX=none: 0.5), or cannot (0)',
  registers: [prometheus],
});

/**
 * This process's sandbox, proved at start-up by running a command in it: the one place that says
 * whether tests and linters can run here, and what to do when they cannot.
 */
@Injectable()
export class SandboxStatus {
  private last: SandboxCheck | null = null;
  private readonly logger: Logger;

  constructor(
    private readonly sandbox: Sandbox,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'sandbox' });
  }

  /** The last check, or `null` before the first. */
  get current(): SandboxCheck | null {
    return this.last;
  }

  /** Runs the check and says what it found in the log: one clear error with the fix when it fails. */
  async check(): Promise<SandboxCheck> {
    const result = await this.sandbox.check();
    this.last = result;
    available.set(result.state === 'ok' ? 1 : result.state === 'disabled' ? 0.5 : 0);
    if (result.state === 'unavailable') {
      this.logger.error(
        { sandbox: result },
        `The test sandbox does not work on this host: ${result.message}. Jobs that need to run tests or linters will fail with sandbox_unavailable. Fix: ${result.fix}.`,
      );
    } else if (result.state === 'disabled') {
      this.logger.warn(
        'SANDBOX=none: tests and linters of jobs run WITHOUT isolation (no namespace, no network cut-off); use only with repositories you trust',
      );
    } else {
      this.logger.info({ isolation: result.isolation }, `test sandbox works (bubblewrap): ${result.isolation}`);
    }
    return result;
  }
}
