import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { Logger } from 'pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { LOGGER } from '../logging/logging.module';
import { AdvisoryLock } from './advisory-locks';
import { MIGRATIONS } from './migrations';
import { NotificationListener } from './notification-listener';
import { DatabaseHealth } from './database-health';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;

/** TypeORM options for the service's database; shared with the CLI data source. */
export function dataSourceOptions(url: string, entities: EntityList, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'schema_migrations',
    extra: { max: poolSize, application_name: 'aict' },
  };
}

/**
 * Runs pending migrations while holding a session advisory lock, so replicas that boot together
 * migrate once and the others wait, then find nothing to do.
 */
export async function runMigrationsLocked(dataSource: DataSource, logger?: Logger): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.Migrations]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    if (ran.length > 0) logger?.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.Migrations]).catch(() => undefined);
    await runner.release();
  }
}

/** The database connection (TypeORM + pg), migrated at boot, plus the LISTEN connection. */
@Module({})
export class DatabaseModule {
  static forRoot(entities: EntityList): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG, LOGGER],
          useFactory: (config: AppConfig) => {
            if (!config.database.url) throw new Error('No database URL: start the embedded database before the application');
            return dataSourceOptions(config.database.url, entities, config.database.poolSize);
          },
          dataSourceFactory: async (options) => {
            const dataSource = new DataSource(options!);
            await dataSource.initialize();
            await runMigrationsLocked(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [NotificationListener, DatabaseHealth],
      exports: [NotificationListener, DatabaseHealth],
    };
  }
}
