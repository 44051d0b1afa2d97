import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger } from 'pino';

/** DI token of the process's pino logger. */
export const LOGGER = Symbol('LOGGER');

/** Provides the one process logger; modules take child loggers from it. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: LoggingModule, providers: [{ provide: LOGGER, useValue: logger }], exports: [LOGGER] };
  }
}
