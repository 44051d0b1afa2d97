import { spawn } from 'node:child_process';
import { CappedOutput } from './capped-output';

export interface RunProcessOptions {
  cwd: string;
  /** The whole environment of the child; nothing is inherited. */
  env: Record<string, string>;
  stdin?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Cap of stdout and of stderr each, and of the interleaved output. */
  maxOutputBytes?: number;
  /** Also keep stdout and stderr interleaved in `output` (default true; off saves a copy). */
  interleave?: boolean;
  uid?: number;
  gid?: number;
}

export interface ProcessRun {
  exitCode: number | null;
  /** The signal that ended the child, if one did. */
  termSignal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Set when the program could not be started at all. */
  spawnError?: string;
}

/**
 * Runs a program from an argument vector (never a shell string) in its own process group; on timeout
 * or abort the whole group gets SIGKILL.
 */
export function runProcess(argv: string[], options: RunProcessOptions): Promise<ProcessRun> {
  const max = options.maxOutputBytes ?? 64 * 1024 * 1024;
  const stdout = new CappedOutput(max);
  const stderr = new CappedOutput(max);
  const output = new CappedOutput(max);
  const started = Date.now();
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, options.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const interleave = options.interleave !== false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (interleave) output.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      if (interleave) output.push(chunk);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');

    const finish = (exitCode: number | null, termSignal: NodeJS.Signals | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever the child left running in its group goes with it.
      killGroup();
      resolve({
        exitCode,
        termSignal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        output: output.toString(),
        truncated: stdout.truncated || stderr.truncated || output.truncated,
        timedOut,
        aborted,
        durationMs: Date.now() - started,
        ...(spawnError && { spawnError }),
      });
    };
    // Leftovers in the group (background children) must not outlive the run nor hold the pipes open.
    child.on('exit', () => killGroup());
    child.on('error', (error) => finish(null, null, error.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}
