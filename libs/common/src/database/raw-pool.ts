import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The node-postgres pool under the TypeORM data source, for single statements on the hot path
 * (the job detail, the token check): `pool.query` skips creating and releasing a TypeORM query
 * runner per statement. Same connections, same limits; transactions stay on TypeORM.
 */
export function rawPool(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}
