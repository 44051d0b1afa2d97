import { runProcess } from '../process/run-process';
import { ToolsErrorCode, ToolsException } from '../tools.errors';

/** The fixed identity of commits made by jobs. */
export const COMMIT_AUTHOR = { name: 'AI Coding Team', email: 'aict@localhost' } as const;

export interface GitOptions {
  cwd: string;
  stdin?: string | Buffer;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Added to the clean environment (e.g. GIT_INDEX_FILE, credentials for a push). */
  env?: Record<string, string>;
  /** Exit codes that are not failures (e.g. 1 for "no match"). */
  okCodes?: number[];
}

export interface GitRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A clean environment for git: no pager, no prompts, no user or system config. */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_AUTHOR_NAME: COMMIT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: COMMIT_AUTHOR.email,
    GIT_COMMITTER_NAME: COMMIT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: COMMIT_AUTHOR.email,
    ...extra,
  };
}

const SAFE_CONFIG = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'core.pager=cat',
  '-c', 'safe.directory=*',
  '-c', 'commit.gpgsign=false',
  '-c', 'init.defaultBranch=main',
];

/** Runs git from an argument vector with hooks disabled; throws `git_failed` on an unexpected exit code. */
export async function git(args: string[], options: GitOptions): Promise<GitRun> {
  const run = await runProcess(['git', ...SAFE_CONFIG, ...args], {
    cwd: options.cwd,
    env: gitEnv(options.env),
    stdin: options.stdin,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  if (run.aborted) throw new ToolsException(ToolsErrorCode.Aborted, `git ${args[0]} was stopped`);
  if (run.timedOut) throw new ToolsException(ToolsErrorCode.Timeout, `git ${args[0]} timed out`);
  const exitCode = run.exitCode ?? -1;
  if (exitCode !== 0 && !(options.okCodes ?? []).includes(exitCode)) {
    throw new ToolsException(ToolsErrorCode.GitFailed, `git ${args[0]} failed: ${(run.stderr || run.stdout || run.spawnError || '').trim()}`, {
      exitCode,
      stderr: run.stderr.trim(),
    });
  }
  return { exitCode, stdout: run.stdout, stderr: run.stderr };
}
