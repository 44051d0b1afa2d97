import { accessSync, constants, existsSync, lstatSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { runProcess } from '../process/run-process';
import { ToolsErrorCode } from '../tools.errors';
import { DiskQuotaWatch, measureWorkspace, removeCreated, scanWorkspace, WorkspaceScan } from './disk-quota';
import { accountsInRange, DEFAULT_UID_POOL, releaseUid, takeUid, UidRange } from './uid-pool';
import { DomainException } from '@app/common';

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
  /**
   * RLIMIT_NPROC: stops fork bombs. Default 256. Linux counts it per uid (per user namespace), so each
   * run gets a uid of its own (`uidPool`, as root) or a user namespace of its own (otherwise).
   */
  maxProcesses?: number;
  /** RLIMIT_FSIZE: the largest file a command may write (SIGXFSZ beyond). Default 1 GiB. */
  maxFileBytes?: number;
  /** Disk space the workspace may use outside `.git` while a run writes in it; 0: no quota. Default 4 GiB. */
  diskBytes?: number;
  /** How often a run's disk use is looked at (ms). Default 100. */
  diskCheckIntervalMs?: number;
  /** Output kept per run (head and tail). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Size of the private /tmp (a tmpfs: memory). Default 512 MiB. */
  tmpBytes?: number;
  /**
   * When the server runs as root: the uids runs take theirs from (gid = uid), one per workspace and
   * never two runs at once. Default 100000–165535.
   */
  uidPool?: UidRange;
  /** Where to look for bwrap, prlimit, setpriv and du; default the server's PATH. */
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
  /** What keeps runs apart, when ok: the uid or user namespace of each run and the disk quota. */
  isolation?: string;
  checkedAt: string;
}

/** What to do about a sandbox that does not run. */
export const SANDBOX_FIX =
  'install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`) and make sure it may create namespaces (in a container: run it privileged or with the SYS_ADMIN capability and unconfined seccomp/AppArmor), or set SANDBOX=none to run tests without isolation';

const UID_POOL_FIX =
  'set SANDBOX_UID_POOL to a range of ids that no account or group of the host uses (the default 100000-165535 is above what useradd gives out)';
const SETUID_FIX =
  'give the worker the SETUID and SETGID capabilities (Docker grants them by default; on Kubernetes list them under capabilities.add): every run switches to a uid of its own with setpriv';

/** How a sandboxed run ended. */
export interface SandboxRun {
  argv: string[];
  exitCode: number | null;
  termSignal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, capped (head and tail kept); a line saying so when the disk quota stopped the run. */
  output: string;
  truncated: boolean;
  /**
   * The workspace used more disk than its quota: the run was refused (already over) or stopped, and
   * the files it created were removed.
   */
  diskQuotaExceeded: boolean;
  /** The uid the command ran as (one of the pool), when the server runs as root. */
  uid?: number;
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
      diskBytes: options.diskBytes ?? 4 * 1024 ** 3,
      diskCheckIntervalMs: options.diskCheckIntervalMs ?? 100,
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
      tmpBytes: options.tmpBytes ?? 512 * 1024 ** 2,
      uidPool: options.uidPool ?? DEFAULT_UID_POOL,
    };
    if (!(this.options.uidPool.first >= 1 && this.options.uidPool.first <= this.options.uidPool.last)) {
      throw new DomainException(ToolsErrorCode.InvalidInput, `invalid uid pool ${this.options.uidPool.first}-${this.options.uidPool.last}`);
    }
  }

  /** Whether runs can happen, and if not what to install. */
  availability(): { ok: true } | { ok: false; message: string } {
    if (this.mode === 'none') return { ok: true };
    const missing = ['bwrap', 'prlimit', ...(isRoot() ? ['setpriv'] : []), ...(this.options.diskBytes ? ['du'] : [])].filter(
      (tool) => !this.which(tool),
    );
    if (!missing.length) return { ok: true };
    const packages = missing
      .map((tool) => (tool === 'bwrap' ? 'bubblewrap' : tool === 'du' ? 'coreutils' : 'util-linux'))
      .filter((p, i, all) => all.indexOf(p) === i);
    return {
      ok: false,
      message: `The test sandbox needs ${missing.join(', ')}: run \`apt-get install ${packages.join(' ')}\` on the server (or set SANDBOX=none to run without isolation).`,
    };
  }

  /**
   * Proves the sandbox works by running a command in it, in a scratch workspace: the binaries being
   * on PATH is not enough (a container may forbid the namespaces bubblewrap needs). As root, the
   * command must run as the uid the run took from the pool, which no account of the host may hold.
   */
  async check(): Promise<SandboxCheck> {
    const checkedAt = new Date().toISOString();
    if (this.mode === 'none')
      return { state: 'disabled', mode: this.mode, message: 'SANDBOX=none: tests and linters run without isolation', checkedAt };
    const available = this.availability();
    if (!available.ok) return { state: 'unavailable', mode: this.mode, message: available.message, fix: SANDBOX_FIX, checkedAt };
    const pool = this.options.uidPool;
    const accounts = isRoot() ? accountsInRange(pool) : [];
    if (accounts.length) {
      return {
        state: 'unavailable',
        mode: this.mode,
        message: `the sandbox's uid pool ${pool.first}-${pool.last} (SANDBOX_UID_POOL) holds ids of this host: ${accounts.slice(0, 5).join(', ')}`,
        fix: UID_POOL_FIX,
        checkedAt,
      };
    }
    const scratch = await mkdtemp(join(tmpdir(), 'aict-sandbox-check-'));
    try {
      await chmod(scratch, 0o755);
      const run = await this.run(['id', '-u'], { workspaceRoot: scratch, timeoutMs: 15_000 });
      const ranAs = Number(run.output.trim());
      if (run.exitCode === 0 && (run.uid === undefined || ranAs === run.uid)) {
        return { state: 'ok', mode: this.mode, isolation: this.isolation(), checkedAt };
      }
      if (run.exitCode === 0) {
        return {
          state: 'unavailable',
          mode: this.mode,
          message: `a sandboxed command ran as uid ${run.output.trim()}, not as the uid ${run.uid} its run took from the pool`,
          fix: UID_POOL_FIX,
          checkedAt,
        };
      }
      const why =
        run.output.trim().split('\n').slice(-3).join(' ').slice(0, 500) ||
        `exit code ${run.exitCode}${run.termSignal ? `, signal ${run.termSignal}` : ''}`;
      return {
        state: 'unavailable',
        mode: this.mode,
        message: `bubblewrap is installed but cannot run a command: ${why}`,
        fix: /setres[ug]id|setgroups/.test(why) ? SETUID_FIX : SANDBOX_FIX,
        checkedAt,
      };
    } catch (error) {
      return { state: 'unavailable', mode: this.mode, message: (error as Error).message, fix: SANDBOX_FIX, checkedAt };
    } finally {
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Runs an argument vector with the workspace as working directory. As root, the run takes a uid of
   * its own from the pool for its whole duration, and the workspace (not its `.git`) is handed to it.
   */
  async run(argv: string[], options: { workspaceRoot: string; signal?: AbortSignal; timeoutMs?: number }): Promise<SandboxRun> {
    if (!argv.length) throw new DomainException(ToolsErrorCode.InvalidInput, 'empty command');
    const available = this.availability();
    if (!available.ok) throw new DomainException(ToolsErrorCode.SandboxUnavailable, available.message);
    if (this.mode === 'none' || !isRoot()) return this.runAs(undefined, argv, options);
    const pool = this.options.uidPool;
    const uid = takeUid(pool, options.workspaceRoot);
    if (uid === undefined) {
      throw new DomainException(
        ToolsErrorCode.SandboxUnavailable,
        `every uid of the sandbox's pool ${pool.first}-${pool.last} (SANDBOX_UID_POOL) is held by a run; the pool must be larger than the runs at once`,
      );
    }
    try {
      return await this.runAs(uid, argv, options);
    } finally {
      releaseUid(uid);
    }
  }

  private async runAs(
    uid: number | undefined,
    argv: string[],
    options: { workspaceRoot: string; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<SandboxRun> {
    const root = options.workspaceRoot;
    const du = this.options.diskBytes ? this.which('du') : undefined;
    const quota = du ? this.options.diskBytes : 0;
    const scan: WorkspaceScan | undefined =
      uid !== undefined || quota
        ? await scanWorkspace(root, { owner: uid === undefined ? undefined : { uid, gid: uid }, inodes: !!quota })
        : undefined;
    const ran = { argv, termSignal: null, timedOut: false, aborted: false, truncated: false, ...(uid !== undefined && { uid }) };
    if (quota && scan!.bytes > quota) {
      return {
        ...ran,
        exitCode: null,
        durationMs: 0,
        output: `[sandbox] disk quota: the workspace already uses ${mib(scan!.bytes)} outside .git, more than its disk quota of ${mib(quota)} (SANDBOX_DISK_MB), so the command was not run; remove generated files or raise the quota\n`,
        diskQuotaExceeded: true,
      };
    }
    const limits = this.limitArgv();
    const full =
      this.mode === 'none'
        ? [...(limits.length ? [this.which('prlimit')!, ...limits, '--'] : []), ...argv]
        : this.bwrapArgv(root, argv, limits, uid);
    const overQuota = new AbortController();
    const watch = quota
      ? new DiskQuotaWatch(
          root,
          quota,
          scan!.bytes,
          () => measureWorkspace(root, du!),
          () => overQuota.abort(),
        )
      : undefined;
    watch?.start(this.options.diskCheckIntervalMs);
    const run = await runProcess(full, {
      cwd: root,
      env: this.mode === 'none' ? this.environment() : {},
      signal: options.signal ? AbortSignal.any([options.signal, overQuota.signal]) : overQuota.signal,
      timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
      maxOutputBytes: this.options.maxOutputBytes,
    });
    const over = await watch?.stop();
    if (run.spawnError) throw new DomainException(ToolsErrorCode.SandboxUnavailable, `cannot start ${full[0]}: ${run.spawnError}`);
    let output = run.output;
    if (over !== undefined) {
      await removeCreated(root, scan!.inodes!);
      output +=
        `${output && !output.endsWith('\n') ? '\n' : ''}[sandbox] disk quota: the workspace grew to ${mib(over)} outside .git, past its disk quota ` +
        `of ${mib(quota)} (SANDBOX_DISK_MB), so the run was stopped and the files it created were removed\n`;
    }
    return {
      ...ran,
      exitCode: run.exitCode,
      termSignal: run.termSignal,
      timedOut: run.timedOut,
      aborted: run.aborted && options.signal?.aborted === true,
      durationMs: run.durationMs,
      output,
      truncated: run.truncated,
      diskQuotaExceeded: over !== undefined,
    };
  }

  /** What keeps runs apart here, in words for the log. */
  private isolation(): string {
    const pool = this.options.uidPool;
    const runs = isRoot() ? `each run as a uid of its own from ${pool.first}-${pool.last}` : 'each run in a user namespace of its own';
    const disk = this.options.diskBytes && this.which('du') ? `disk quota ${mib(this.options.diskBytes)} per workspace` : 'no disk quota';
    return `${runs} (process limit ${this.options.maxProcesses} per run); ${disk}; /tmp ${mib(this.options.tmpBytes)} per run`;
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

  private bwrapArgv(root: string, argv: string[], limits: string[], uid: number | undefined): string[] {
    const args: string[] = [this.which('bwrap')!, '--die-with-parent', '--new-session'];
    // As root, bwrap needs no user namespace; the command drops to the run's own uid below (root is
    // exempt from RLIMIT_NPROC, which counts per uid). Otherwise a user namespace makes the mounts
    // possible, and the process limit counts in it alone.
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
    if (uid !== undefined) {
      args.push(
        this.which('setpriv')!,
        `--reuid=${uid}`,
        `--regid=${uid}`,
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

function mib(bytes: number): string {
  const value = bytes / 1024 ** 2;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} MiB`;
}
