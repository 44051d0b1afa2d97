import { AsyncLocalStorage } from 'node:async_hooks';
import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { LogLevel } from '../config/app-config';
import { secretRedactor } from '../security/redaction';

/** Per-request context carried through async calls so every log line names its correlation id. */
export const requestContext = new AsyncLocalStorage<{ correlationId: string }>();

/** The current request's correlation id, if the code runs inside one. */
export function currentCorrelationId(): string | undefined {
  return requestContext.getStore()?.correlationId;
}

/** Creates the process logger: JSON lines on stdout, each carrying the correlation id when there is one. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const correlationId = currentCorrelationId();
        return correlationId ? { correlationId } : {};
      },
      redact: { paths: ['*.apiKey', '*.password', '*.token', '*.authorization', 'req.headers.authorization'], censor: '[redacted]' },
      // Secrets can hide in any value (a goal, an error message): every line passes the redactor.
      hooks: { streamWrite: (line) => secretRedactor.redact(line) },
    },
    destination,
  );
}

/** Adapts pino to Nest's LoggerService so framework messages land in the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
