#!/usr/bin/env node
// A worker process (the real app from dist/, ROLE from the environment) whose handler for the
// team's (`coordinator`) jobs records each execution in the table `test_executions` and takes WORK_MS
// (default 5) to do it. The load and fault tests count those rows to find jobs that ran twice or
// never. The Evaluator is switched off here, so the queue holds only the jobs a test submits. Started by
// launchService({ recording: true }) in processes.ts.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));
require('reflect-metadata');
const { DataSource } = require('typeorm');
const { createApp } = require(join(root, 'dist/apps/server/src/create-app.js'));
const { loadConfig, createLogger } = require(join(root, 'dist/libs/common/src/index.js'));
const { JobHandlerRegistry, WorkerService } = require(join(root, 'dist/libs/worker/src/index.js'));
const { EvaluationService } = require(join(root, 'dist/libs/evaluation/src/index.js'));

const workMs = Number(process.env.WORK_MS ?? 5);
const config = loadConfig(process.env, process.argv.slice(2));
const logger = createLogger(config.logLevel);
const app = await createApp(config, logger);
const dataSource = app.get(DataSource);
try {
  await dataSource.query(
    'CREATE TABLE IF NOT EXISTS test_executions (job_id uuid NOT NULL, worker_id text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())',
  );
} catch (error) {
  // Several workers starting at once race on CREATE TABLE IF NOT EXISTS; the loser finds it made.
  if (!['23505', '42P07'].includes(error.code)) throw error;
}
const workerId = app.get(WorkerService).workerId;
app.get(EvaluationService).enqueueFor = async () => undefined;
app.get(JobHandlerRegistry).replace('coordinator', {
  handle: async ({ job, signal }) => {
    await dataSource.query('INSERT INTO test_executions (job_id, worker_id) VALUES ($1, $2)', [job.id, workerId]);
    if (workMs > 0) await new Promise((done) => setTimeout(done, workMs));
    if (signal.aborted) return { status: 'release' };
    return { status: 'succeeded', result: { workerId } };
  },
});
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
await app.listen({ port: config.port, host: config.host });
logger.info({ workerId, role: config.role }, 'recording worker is up');
