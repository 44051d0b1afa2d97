import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, EmbeddedDatabase, createLogger, loadConfig, startEmbeddedDatabase, withEnvFile } from '@app/common';
import { createApp } from './create-app';
import { buildOpenApiDocument } from './openapi';

async function main(): Promise<void> {
  let config;
  let envFile: string | null;
  try {
    const { env, file } = withEnvFile(process.env);
    envFile = file;
    config = loadConfig(env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (envFile) logger.info({ file: envFile }, 'read settings from the .env file (the real environment wins)');

  let embedded: EmbeddedDatabase | undefined;
  // A file a setting names (PIPELINE_STAGES_FILE, POLICY_FILE) that turns out invalid stops start-up like a bad setting.
  const refuse = async (error: unknown): Promise<never> => {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    await embedded?.stop();
    process.exit(2);
  };
  if (!config.database.url) {
    embedded = await startEmbeddedDatabase({
      dir: join(config.dataDir, 'pg'),
      port: config.database.embeddedPort,
      database: 'aict',
      logger,
    });
    config.database.url = embedded.url;
  }

  const writeIndex = process.argv.indexOf('--write-openapi');
  if (writeIndex >= 0) {
    const app = await createApp({ ...config, role: 'api' }, logger).catch(refuse);
    await app.init().catch(refuse);
    const file = process.argv[writeIndex + 1] ?? 'openapi.json';
    writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
    await app.close();
    await embedded?.stop();
    logger.info({ file }, 'OpenAPI document written');
    return;
  }

  const app = await createApp(config, logger).catch(refuse);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
    } finally {
      await embedded?.stop();
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.init().catch(refuse);
  await app.listen({ port: config.port, host: config.host });
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    { url: `http://${shown}:${config.port}`, role: config.role, docs: `http://${shown}:${config.port}/api/docs` },
    'AI Coding Team is up',
  );
}

main().catch((error) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
