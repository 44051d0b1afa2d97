import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDatabase, EmbeddedDatabase } from '../../libs/common/src/database/embedded-database';
import { freePort } from './free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test run's PostgreSQL server (database `postgres`). */
    adminDatabaseUrl: string;
  }
}

let database: EmbeddedDatabase | undefined;
let dir: string | undefined;

/**
 * One throwaway PostgreSQL server for the whole run (its own port and directory), or the server
 * of TEST_DATABASE_URL. Each test file creates databases of its own on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Process-level tests run the built server, so build it first (SWC, about a second).
  execFileSync(process.execPath, [join(__dirname, '../../scripts/build.mjs')], { stdio: 'ignore' });
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('adminDatabaseUrl', external);
    return async () => undefined;
  }
  dir = mkdtempSync(join(tmpdir(), 'aict-test-pg-'));
  chmodSync(dir, 0o777);
  database = await startEmbeddedDatabase({ dir: join(dir, 'pg'), port: await freePort(), database: 'postgres' });
  project.provide('adminDatabaseUrl', database.url);
  return async () => {
    await database?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
