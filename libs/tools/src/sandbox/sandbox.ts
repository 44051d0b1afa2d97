import { accessSync, constants, existsSync, lstatSync, readlinkSync } from 'node:fs';
import { chmod, lchown, mkdtemp, opendir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { runProcess } from '../process/run-process';
import { ToolsErrorCode, ToolsException } from '../tools.errors';

/** `bwrap` isolates runs (the default); `none` runs them directly, for hosts without bubblewrap (SANDBOX=none). */
export type SandboxMode = 'bwrap' | 'none';

export interface SandboxOptions {
  mode?: SandboxMode;
  /** Wall-clock limit of one run; the whole process tree is killed with SIGKILL. Default 10 minutes. */
  timeoutMs?: number;
  /** RLIMIT_CPU in seconds. Default 600. */
  cpuSeconds?: number;
  /** RLIMIT_AS in bytes. Default 4 GiB. */
  memoryBytes?: number;
  /** RLIMIT_NPROC: stops fork bombs. Default 256. */
  maxProcesses?: number;
  /** RLIMIT_FSIZE: the largest file a command may write (SIGXFSZ beyond). Default 1 GiB. */
  maxFileBytes?: number;
  /** Output kept per run (head and tail). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Size of the private /tmp. Default 512 MiB. */
  tmpBytes?: number;
  /** The uid/gid commands run as when the server runs as root (root is exempt from RLIMIT_NPROC). Default 65534. */
  unprivilegedUid?: number;
  unprivilegedGid?: number;
  /** Where to look for bwrap, prlimit and setpriv; default the server's PATH. */
  searchPath?: string;
}

/** Whether sandboxed runs work here, as proved by running one. */
export interface SandboxCheck {
  /** `ok`: a trivial command ran under bubblewrap; `disabled`: SANDBOX=none (runs without isolation); `unavailable`: it cannot run. */
  state: 'ok' | 'disabled' | 'unavailable';
  mode: SandboxMode;
  /** What went wrong, when unavailable. */
  message?: string;
  /** How to fix it. */
  fix?: string;
  checkedAt: string;
}

/** What to do about a sandbox that does not run. */
export const SANDBOX_FIX =
  'install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`) and make sure it may create namespaces (in a container: run it privileged or with the SYS_ADMIN capability and unconfined seccomp/AppArmor), or set SANDBOX=none to run tests without isolation';

/** How a sandboxed run ended. */
export interface SandboxRun {
  argv: string[];
  exitCode: number | null;
  termSignal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, capped (head and tail kept). */
  output: string;
  truncated: boolean;
}

const ETC_FILES = [
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
];
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * Runs repository commands (tests, linters) under bubblewrap: read-only system, the workspace the
 * only writable place besides a private /tmp, no network, a clean environment, and time, CPU,
 * memory (address space per process), process, file size and output limits.
 */
export class Sandbox {
  readonly mode: SandboxMode;
  private readonly options: Required<Omit<SandboxOptions, 'mode' | 'searchPath'>>;
  private readonly searchPath: string;

  constructor(options: SandboxOptions = {}) {
    this.mode = options.mode ?? 'bwrap';
    this.searchPath = options.searchPath ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    this.options = {
      timeoutMs: options.timeoutMs ?? 600_000,
      cpuSeconds: options.cpuSeconds ?? 600,
      memoryBytes: options.memoryBytes ?? 4 * 1024 ** 3,
      maxProcesses: options.maxProcesses ?? 256,
      maxFileBytes: options.maxFileBytes ?? 1024 ** 3,
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
      tmpBytes: options.tmpBytes ?? 512 * 1024 ** 2,
      unprivilegedUid: options.unprivilegedUid ?? 65534,
      unprivilegedGid: options.unprivilegedGid ?? 65534,
    };
  }

  /** Whether runs can happen, and if not what to install. */
  availability(): { ok: true } | { ok: false; message: string } {
    if (this.mode === 'none') return { ok: true };
    const missing = ['bwrap', 'prlimit', ...(isRoot() ? ['setpriv'] : [])].filter((tool) => !this.which(tool));
    if (!missing.length) return { ok: true };
    const packages = missing.map((tool) => (tool === 'bwrap' ? 'bubblewrap' : 'util-linux')).filter((p, i, all) => all.indexOf(p) === i);
    return {
      ok: false,
      message: `The test sandbox needs ${missing.join(', ')}: run \`apt-get install ${packages.join(' ')}\` on the server (or set SANDBOX=none to run without isolation).`,
    };
  }

  /**
   * Proves the sandbox works by running `true` in it, in a scratch workspace: the binaries being on
   * PATH is not enough (a container may forbid the namespaces bubblewrap needs).
   */
  async check(): Promise<SandboxCheck> {
    const checkedAt = new Date().toISOString();
    if (this.mode === 'none')
      return { state: 'disabled', mode: this.mode, message: 'SANDBOX=none: tests and linters run without isolation', checkedAt };
    const available = this.availability();
    if (!available.ok) return { state: 'unavailable', mode: this.mode, message: available.message, fix: SANDBOX_FIX, checkedAt };
    const scratch = await mkdtemp(join(tmpdir(), 'aict-sandbox-check-'));
    try {
      await chmod(scratch, 0o755);
      const run = await this.run(['true'], { workspaceRoot: scratch, timeoutMs: 15_000 });
      if (run.exitCode === 0) return { state: 'ok', mode: this.mode, checkedAt };
      const why =
        run.output.trim().split('\n').slice(-3).join(' ').slice(0, 500) ||
        `exit code ${run.exitCode}${run.termSignal ? `, signal ${run.termSignal}` : ''}`;
      return {
        state: 'unavailable',
        mode: this.mode,
        message: `bubblewrap is installed but cannot run a command: ${why}`,
        fix: SANDBOX_FIX,
        checkedAt,
      };
    } catch (error) {
      return { state: 'unavailable', mode: this.mode, message: (error as Error).message, fix: SANDBOX_FIX, checkedAt };
    } finally {
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Runs an argument vector with the workspace as working directory. */
  async run(argv: string[], options: { workspaceRoot: string; signal?: AbortSignal; timeoutMs?: number }): Promise<SandboxRun> {
    if (!argv.length) throw new ToolsException(ToolsErrorCode.InvalidInput, 'empty command');
    const available = this.availability();
    if (!available.ok) throw new ToolsException(ToolsErrorCode.SandboxUnavailable, available.message);
    const root = options.workspaceRoot;
    const limits = this.limitArgv();
    const full =
      this.mode === 'none'
        ? [...(limits.length ? [this.which('prlimit')!, ...limits, '--'] : []), ...argv]
        : await this.bwrapArgv(root, argv, limits);
    const run = await runProcess(full, {
      cwd: root,
      env: this.mode === 'none' ? this.environment() : {},
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
      maxOutputBytes: this.options.maxOutputBytes,
    });
    if (run.spawnError) throw new ToolsException(ToolsErrorCode.SandboxUnavailable, `cannot start ${full[0]}: ${run.spawnError}`);
    return {
      argv,
      exitCode: run.exitCode,
      termSignal: run.termSignal,
      timedOut: run.timedOut,
      aborted: run.aborted,
      durationMs: run.durationMs,
      output: run.output,
      truncated: run.truncated,
    };
  }

  /** The environment of sandboxed commands: nothing of the server's, so no secrets. */
  environment(): Record<string, string> {
    const nodeBin = dirname(process.execPath);
    return {
      PATH: [nodeBin, '/usr/local/bin', '/usr/bin', '/bin'].filter((p, i, all) => all.indexOf(p) === i).join(':'),
      HOME: '/tmp',
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      CI: '1',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      NPM_CONFIG_UPDATE_NOTIFIER: 'false',
      NPM_CONFIG_FUND: 'false',
      NPM_CONFIG_AUDIT: 'false',
      NPM_CONFIG_CACHE: '/tmp/.npm',
    };
  }

  private limitArgv(): string[] {
    if (this.mode === 'none' && !this.which('prlimit')) return [];
    return [
      `--nproc=${this.options.maxProcesses}`,
      `--cpu=${this.options.cpuSeconds}`,
      `--as=${this.options.memoryBytes}`,
      `--fsize=${this.options.maxFileBytes}`,
      '--core=0',
      '--nofile=4096',
    ];
  }

  private async bwrapArgv(root: string, argv: string[], limits: string[]): Promise<string[]> {
    const args: string[] = [this.which('bwrap')!, '--die-with-parent', '--new-session'];
    // As root, bwrap needs no user namespace; the command drops to an unprivileged uid below
    // (root is exempt from RLIMIT_NPROC). Otherwise a user namespace makes the mounts possible.
    args.push('--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try');
    if (!isRoot()) args.push('--unshare-user', '--cap-drop', 'ALL');
    args.push('--hostname', 'sandbox', '--ro-bind', '/usr', '/usr');
    for (const path of TOP_LEVEL) {
      if (!existsSync(path)) continue;
      const info = lstatSync(path);
      if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else args.push('--ro-bind', path, path);
    }
    // Directories bwrap creates for mount points are private (0700); the unprivileged uid must traverse them.
    args.push('--perms', '0755', '--dir', '/etc');
    for (const path of ETC_FILES) args.push('--ro-bind-try', path, path);
    const nodeHome = dirname(dirname(process.execPath));
    if (!nodeHome.startsWith('/usr/') && nodeHome !== '/usr' && nodeHome !== '/') args.push('--ro-bind', nodeHome, nodeHome);
    args.push('--proc', '/proc', '--dev', '/dev');
    args.push('--perms', '1777', '--size', String(this.options.tmpBytes), '--tmpfs', '/tmp');
    for (const ancestor of ancestorsOf(root)) {
      if (ancestor !== '/tmp' && ancestor !== '/usr' && !ancestor.startsWith('/usr/')) args.push('--perms', '0755', '--dir', ancestor);
    }
    args.push('--bind', root, root);
    if (existsSync(join(root, '.git'))) args.push('--ro-bind', join(root, '.git'), join(root, '.git'));
    args.push('--chdir', root, '--clearenv');
    for (const [key, value] of Object.entries(this.environment())) args.push('--setenv', key, value);
    args.push('--');
    if (isRoot()) {
      await chownTree(root, this.options.unprivilegedUid, this.options.unprivilegedGid);
      args.push(
        this.which('setpriv')!,
        `--reuid=${this.options.unprivilegedUid}`,
        `--regid=${this.options.unprivilegedGid}`,
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all',
        '--no-new-privs',
        '--',
      );
    }
    args.push(this.which('prlimit')!, ...limits, '--', ...argv);
    return args;
  }

  private which(name: string): string | undefined {
    for (const dir of this.searchPath.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
    return undefined;
  }
}

/** `/a/b/c` → `/a`, `/a/b` (not the path itself, not `/`). */
function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Gives the workspace (not its .git) to the unprivileged uid so commands can write in it. */
async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  await lchown(root, uid, gid);
  const pending = [root];
  while (pending.length) {
    const dir = pending.pop()!;
    for await (const entry of await opendir(dir)) {
      if (dir === root && entry.name === '.git') continue;
      const path = join(dir, entry.name);
      await lchown(path, uid, gid);
      if (entry.isDirectory()) pending.push(path);
    }
  }
}
