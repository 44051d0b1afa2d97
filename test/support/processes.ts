import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './free-port';
import { api, waitFor } from './http';

const MAIN = resolve(__dirname, '../../dist/apps/server/src/main.js');
const RECORDING_WORKER = resolve(__dirname, 'recording-worker.mjs');

/** A server or worker running as a process of its own (the built `dist/`, as `npm start` runs it). */
export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits until /api/health/ready answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The settings every process test wants: fast leases and polls, no access control, quiet logs. */
export const FAST_WORKER_ENV: Record<string, string> = {
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  AUTH: 'off',
  WORKER_POLL_INTERVAL_MS: '200',
  WORKER_HEARTBEAT_MS: '250',
  WORKER_LEASE_MS: '2000',
  WORKER_REAPER_INTERVAL_MS: '250',
  WORKER_BACKOFF_BASE_MS: '50',
  WORKER_DRAIN_TIMEOUT_MS: '3000',
  SSE_HEARTBEAT_MS: '1000',
  RATE_LIMIT_DEFAULT: '1000000/60',
  RATE_LIMIT_WRITE: '1000000/60',
  RATE_LIMIT_WEBHOOKS: '1000000/60',
  RATE_LIMIT_AUTH_FAILURES: '1000000/60',
};

/**
 * Starts `node dist/apps/server/src/main.js` (or the recording worker, see recording-worker.mjs)
 * with only the environment given here plus PATH and HOME, on a free port.
 */
export async function launchService(options: {
  env: Record<string, string>;
  args?: string[];
  recording?: boolean;
  prefix?: string[];
}): Promise<ServiceProcess> {
  const port = await freePort();
  const script = options.recording ? RECORDING_WORKER : MAIN;
  const argv = [...(options.prefix ?? []), process.execPath, script, ...(options.args ?? [])];
  const env = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME ?? '/root',
    ...FAST_WORKER_ENV,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...options.env,
  };
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    pid: child.pid!,
    url,
    output: () => output,
    exited,
    ready: async (timeoutMs = 60_000) => {
      await waitFor(
        async () => {
          if (gone) throw new Error(`the process exited while starting:\n${output.slice(-3_000)}`);
          return (await api(url, 'GET', '/api/health/ready').catch(() => ({ status: 0 }))).status === 200;
        },
        timeoutMs,
        `${url} to be ready`,
      );
    },
    stop: async (graceMs = 15_000) => {
      if (gone) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
