import { runProcess } from '../process/run-process';
import { ToolsErrorCode } from '../tools.errors';
import { DomainException } from '@app/common';

/** The fixed identity of commits made by jobs. */
export const COMMIT_AUTHOR = { name: 'AI Coding Team', email: 'aict@localhost' } as const;

export interface GitOptions {
  cwd: string;
  stdin?: string | Buffer;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Added to the clean environment (e.g. GIT_INDEX_FILE, credentials for a push). */
  env?: Record<string, string>;
  /** `key=value` settings given to git as `-c` options before the command (e.g. a checked repository's pins). */
  config?: string[];
  /** Exit codes that are not failures (e.g. 1 for "no match"). */
  okCodes?: number[];
  /** Most stdout kept; more is `output_too_large` unless `truncatedOk`. Default 64 MiB. */
  maxOutputBytes?: number;
  /** Return the head and tail of an oversized stdout (flagged `truncated`) instead of failing. */
  truncatedOk?: boolean;
}

export interface GitRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when stdout was longer than `maxOutputBytes` and its middle was dropped. */
  truncated: boolean;
}

/** The default cap of git's stdout kept in memory. */
export const GIT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

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

// Workspaces hold untrusted files: nothing in them may make git run a program. Hooks and fsmonitor
// are off; submodules are never looked into, because a sandboxed test can fill a submodule's
// directory with a repository whose own config defines filters that `git status` would run.
const SAFE_CONFIG = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.pager=cat',
  '-c',
  'safe.directory=*',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
  '-c',
  'diff.ignoreSubmodules=all',
  '-c',
  'submodule.recurse=false',
  '-c',
  'status.submoduleSummary=false',
];

/**
 * The receive-pack a push into a repository on this server runs (in the origin, with the origin's
 * config): git clears `-c` options for local transports, so hooks, fsmonitor, the alternate-refs
 * command and auto-gc of the origin are switched off here again.
 */
export const SAFE_RECEIVE_PACK =
  'git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.alternateRefsCommand=true -c receive.autogc=false -c receive.denyCurrentBranch=refuse receive-pack';

/** Runs git from an argument vector with hooks disabled; throws `git_failed` on an unexpected exit code. */
export async function git(args: string[], options: GitOptions): Promise<GitRun> {
  const extra = (options.config ?? []).flatMap((setting) => ['-c', setting]);
  const run = await runProcess(['git', ...SAFE_CONFIG, ...extra, ...args], {
    cwd: options.cwd,
    env: gitEnv(options.env),
    stdin: options.stdin,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 120_000,
    maxOutputBytes: options.maxOutputBytes ?? GIT_MAX_OUTPUT_BYTES,
    interleave: false,
  });
  if (run.aborted) throw new DomainException(ToolsErrorCode.Aborted, `git ${args[0]} was stopped`);
  if (run.timedOut) throw new DomainException(ToolsErrorCode.Timeout, `git ${args[0]} timed out`);
  const exitCode = run.exitCode ?? -1;
  if (exitCode !== 0 && !(options.okCodes ?? []).includes(exitCode)) {
    throw new DomainException(
      ToolsErrorCode.GitFailed,
      `git ${args[0]} failed: ${(run.stderr || run.stdout || run.spawnError || '').trim()}`,
      {
        exitCode,
        stderr: run.stderr.trim(),
      },
    );
  }
  if (run.truncated && !options.truncatedOk) {
    throw new DomainException(
      ToolsErrorCode.OutputTooLarge,
      `git ${args[0]} produced more than ${options.maxOutputBytes ?? GIT_MAX_OUTPUT_BYTES} bytes of output; it was not used`,
      { limitBytes: options.maxOutputBytes ?? GIT_MAX_OUTPUT_BYTES },
    );
  }
  return { exitCode, stdout: run.stdout, stderr: run.stderr, truncated: run.truncated };
}
