import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig, HostLookup, createLogger, loadConfig } from '@app/common';
import { createApp } from '../../apps/server/src/create-app';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  dataSource: DataSource;
  get<T>(token: unknown): T;
  close(): Promise<void>;
}

/**
 * Starts the real application (Fastify on a random loopback port) on a database of its own, or on
 * `databaseUrl` to share one between several instances (several workers).
 */
export async function startTestApp(
  options: { env?: Record<string, string>; databaseUrl?: string; logDestination?: DestinationStream; hostLookup?: HostLookup } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    WORKER_POLL_INTERVAL_MS: '200',
    WORKER_HEARTBEAT_MS: '200',
    WORKER_LEASE_MS: '2000',
    WORKER_REAPER_INTERVAL_MS: '200',
    WORKER_BACKOFF_BASE_MS: '50',
    WORKER_DRAIN_TIMEOUT_MS: '2000',
    SSE_HEARTBEAT_MS: '1000',
    // Access control and rate limits have tests of their own (auth*.spec.ts); the rest test without them.
    AUTH: 'off',
    RATE_LIMIT_DEFAULT: '1000000/60',
    RATE_LIMIT_WRITE: '1000000/60',
    RATE_LIMIT_WEBHOOKS: '1000000/60',
    RATE_LIMIT_AUTH_FAILURES: '1000000/60',
    ...options.env,
  });
  const app = await createApp(config, createLogger(config.logLevel, options.logDestination), { hostLookup: options.hostLookup });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    dataSource: app.get(DataSource),
    get: <T>(token: unknown) => app.get(token as never) as T,
    close: () => app.close(),
  };
}
