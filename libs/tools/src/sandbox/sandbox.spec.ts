import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ToolsErrorCode } from '../tools.errors';
import { Sandbox } from './sandbox';
import { DomainException } from '@app/common';

const hasBwrap = (() => {
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasBwrap) console.warn('sandbox tests skipped: bubblewrap is missing (apt-get install bubblewrap)');

/** Processes whose command line contains a marker. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Waits until `check` holds, polling every 50 ms. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const MiB = 1024 * 1024;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('Sandbox without bubblewrap', () => {
  it('refuses with sandbox_unavailable and says what to install', async () => {
    const sandbox = new Sandbox({ searchPath: '/nonexistent' });
    expect(sandbox.availability()).toEqual({ ok: false, message: expect.stringContaining('apt-get install bubblewrap') });
    const error = await sandbox.run(['true'], { workspaceRoot: tmpdir() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainException);
    expect((error as DomainException).code).toBe(ToolsErrorCode.SandboxUnavailable);
  });

  it('runs directly when the mode is explicitly none', async () => {
    const sandbox = new Sandbox({ mode: 'none', searchPath: '/nonexistent' });
    const run = await sandbox.run(['node', '-e', 'console.log("hello")'], { workspaceRoot: tmpdir() });
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(run.output.trim()).toBe('hello');
  });
});

describe('Sandbox check at start-up', () => {
  it('says the sandbox is unavailable, and how to fix it, when bubblewrap is not installed', async () => {
    const check = await new Sandbox({ searchPath: '/nonexistent' }).check();
    expect(check).toMatchObject({
      state: 'unavailable',
      mode: 'bwrap',
      message: expect.stringContaining('bwrap'),
      fix: expect.stringContaining('apt-get install bubblewrap'),
    });
  });

  it('says so when bubblewrap is installed but cannot run a command (a container without namespaces)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'aict-fake-bwrap-'));
    writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n', { mode: 0o755 });
    try {
      const check = await new Sandbox({ searchPath: `${bin}:${process.env.PATH}` }).check();
      expect(check).toMatchObject({
        state: 'unavailable',
        message: expect.stringContaining('setting up uid map: Permission denied'),
        fix: expect.stringContaining('SANDBOX=none'),
      });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('reports an explicit SANDBOX=none as disabled, not as working', async () => {
    expect(await new Sandbox({ mode: 'none' }).check()).toMatchObject({ state: 'disabled' });
  });

  it.skipIf(!hasBwrap)('proves a working sandbox by running a command in it, and says what keeps runs apart', async () => {
    expect(await new Sandbox().check()).toMatchObject({
      state: 'ok',
      mode: 'bwrap',
      isolation: expect.stringMatching(
        process.getuid?.() === 0
          ? /^each run as a uid of its own from 100000-165535 \(process limit 256 per run\); disk quota 4096 MiB per workspace/
          : /^each run in a user namespace of its own/,
      ),
    });
  });

  it.skipIf(!hasBwrap || process.getuid?.() !== 0)(
    'says how to fix it when the worker may not switch a run to its uid (no SETUID capability)',
    async () => {
      const bin = mkdtempSync(join(tmpdir(), 'aict-nosetuid-'));
      const bwrap = execFileSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).trim();
      const setpriv = execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim();
      // bubblewrap as a container without SETUID and SETGID runs it.
      writeFileSync(
        join(bin, 'bwrap'),
        `#!/bin/sh\nexec ${setpriv} --bounding-set=-setuid,-setgid --inh-caps=-setuid,-setgid -- ${bwrap} "$@"\n`,
        { mode: 0o755 },
      );
      try {
        const check = await new Sandbox({ searchPath: `${bin}:${process.env.PATH}` }).check();
        expect(check).toMatchObject({
          state: 'unavailable',
          message: expect.stringContaining('Operation not permitted'),
          fix: expect.stringContaining('SETUID and SETGID capabilities'),
        });
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!hasBwrap || process.getuid?.() !== 0)(
    "refuses a uid pool that holds ids of the host's accounts, naming them and the fix",
    async () => {
      const check = await new Sandbox({ uidPool: { first: 65_000, last: 65_600 } }).check();
      expect(check).toMatchObject({
        state: 'unavailable',
        message: expect.stringContaining('user nobody (65534)'),
        fix: expect.stringContaining('SANDBOX_UID_POOL'),
      });
    },
  );
});

describe.skipIf(!hasBwrap)('Sandbox (bubblewrap; install with apt-get install bubblewrap)', () => {
  let dir: string;
  let workspace: string;
  let server: Server;
  let connections = 0;
  const sandbox = new Sandbox({ timeoutMs: 20_000, maxProcesses: 64 });

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.end('hello from outside');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aict-sandbox-'));
    workspace = join(dir, 'ws');
    execFileSync('mkdir', ['-p', workspace]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const node = (script: string, options: { timeoutMs?: number } = {}) =>
    sandbox.run(['node', '-e', script], { workspaceRoot: workspace, ...options });

  it('runs node in the workspace and lets it write there', async () => {
    const run = await node('require("fs").writeFileSync("out.txt", "written"); console.log(process.cwd())');
    expect(run.exitCode).toBe(0);
    expect(run.output.trim()).toBe(workspace);
    expect(readFileSync(join(workspace, 'out.txt'), 'utf8')).toBe('written');
  });

  it('cannot reach a server listening on the host loopback', async () => {
    const port = (server.address() as { port: number }).port;
    const run = await node(
      `const s = require("net").connect(${port}, "127.0.0.1"); s.on("data", d => { console.log("GOT " + d); process.exit(0); }); s.on("error", e => { console.log("BLOCKED " + e.code); process.exit(3); });`,
    );
    expect(run.output).toContain('BLOCKED');
    expect(run.output).not.toContain('GOT');
    expect(connections).toBe(0);
  });

  it('cannot resolve or reach the internet', async () => {
    const run = await node('require("dns").lookup("example.com", (e, a) => { console.log(e ? "BLOCKED " + e.code : "RESOLVED " + a); })');
    expect(run.output).toContain('BLOCKED');
  });

  it('cannot write outside the workspace', async () => {
    const outside = join(dir, 'outside.txt');
    const run = await node(
      `const fs = require("fs"); for (const p of [${JSON.stringify(outside)}, "/usr/aict-test", "/etc/aict-test", ${JSON.stringify(join(workspace, '..', 'sibling.txt'))}]) { try { fs.writeFileSync(p, "x"); console.log("WROTE " + p); } catch (e) { console.log("DENIED " + p + " " + e.code); } }`,
    );
    expect(existsSync(outside)).toBe(false);
    expect(existsSync('/usr/aict-test')).toBe(false);
    expect(existsSync('/etc/aict-test')).toBe(false);
    expect(existsSync(join(dir, 'sibling.txt'))).toBe(false);
    expect(run.output).toContain('DENIED /usr/aict-test');
  });

  it('does not see secrets from the parent environment', async () => {
    process.env.AICT_TEST_SECRET = 'super-secret-value';
    process.env.ANTHROPIC_API_KEY ??= 'sk-test-parent-key';
    try {
      const run = await node('console.log(JSON.stringify(process.env))');
      const env = JSON.parse(run.output.trim()) as Record<string, string>;
      expect(env.AICT_TEST_SECRET).toBeUndefined();
      expect(env.ANTHROPIC_API_KEY).toBeUndefined();
      expect(env.DATABASE_URL).toBeUndefined();
      expect(env.HOME).toBe('/tmp');
      expect(run.output).not.toContain('super-secret-value');
    } finally {
      delete process.env.AICT_TEST_SECRET;
    }
  });

  it('kills a command that runs past the wall-clock limit and leaves no process behind', async () => {
    const started = Date.now();
    const run = await sandbox.run(['sleep', '1000'], { workspaceRoot: workspace, timeoutMs: 1500 });
    expect(run.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(8000);
    await new Promise((r) => setTimeout(r, 200));
    expect(processesWith('sleep\u00001000')).toEqual([]);
  });

  it('stops a fork bomb with the process limit and the timeout, leaving no process behind', async () => {
    const marker = `aict-forkbomb-${process.pid}`;
    const started = Date.now();
    const run = await sandbox.run(['sh', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 30', marker], {
      workspaceRoot: workspace,
      timeoutMs: 3000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.timedOut || run.exitCode !== 0 || /fork|resource/i.test(run.output)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(marker)).toEqual([]);
  });

  it('caps the output, keeping its head and tail', async () => {
    const small = new Sandbox({ maxOutputBytes: 10_000 });
    const run = await small.run(
      ['node', '-e', 'console.log("FIRST"); for (let i = 0; i < 5000; i++) console.log("x".repeat(50)); console.log("LAST")'],
      {
        workspaceRoot: workspace,
      },
    );
    expect(run.truncated).toBe(true);
    expect(run.output.length).toBeLessThan(11_000);
    expect(run.output.startsWith('FIRST')).toBe(true);
    expect(run.output.trim().endsWith('LAST')).toBe(true);
  });

  it('applies the CPU-time limit', async () => {
    const limited = new Sandbox({ cpuSeconds: 1, timeoutMs: 20_000 });
    const started = Date.now();
    const run = await limited.run(['node', '-e', 'for (;;) {}'], { workspaceRoot: workspace });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).not.toBe(0);
  });
});

describe.skipIf(!hasBwrap)('Sandbox runs do not share limits (bubblewrap)', () => {
  let dir: string;
  const workspaceIn = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aict-sandbox-runs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each run a process limit of its own: a run holding 250 sleeping processes does not stop another run forking 20', async () => {
    const sandbox = new Sandbox({ timeoutMs: 60_000, maxProcesses: 256 });
    const flooded = workspaceIn('flood');
    const nap = String(600_000 + (process.pid % 100_000));
    const stop = new AbortController();
    const flood = sandbox.run(['sh', '-c', `i=0; while [ $i -lt 250 ]; do sleep ${nap} & i=$((i+1)); done; wait`], {
      workspaceRoot: flooded,
      signal: stop.signal,
    });
    try {
      // A forked shell becomes `sleep` when it execs: count the sleeps, not the loop's end.
      await until(() => processesWith(`sleep\u0000${nap}`).length >= 250, 30_000, 'the flood');
      expect(processesWith(`sleep\u0000${nap}`)).toHaveLength(250);
      const run = await sandbox.run(
        [
          'node',
          '-e',
          'const cp = require("child_process"); let n = 0; for (let i = 0; i < 20; i++) if (cp.spawnSync("true").status === 0) n++; console.log("forked " + n)',
        ],
        // Node hangs when it cannot start its threads: the clock ends it then.
        { workspaceRoot: workspaceIn('normal'), timeoutMs: 20_000 },
      );
      expect(run, run.output).toMatchObject({ exitCode: 0, termSignal: null, timedOut: false });
      expect(run.output.trim()).toBe('forked 20');
      expect(processesWith(`sleep\u0000${nap}`)).toHaveLength(250);
    } finally {
      stop.abort();
      await flood;
    }
    await until(() => processesWith(`sleep\u0000${nap}`).length === 0, 5_000, 'the flood to be gone');
  }, 90_000);

  it.skipIf(process.getuid?.() !== 0)(
    'runs each command as a uid of the pool: one per workspace, two runs at once never share one, and the workspace is handed to it',
    async () => {
      const sandbox = new Sandbox({ uidPool: { first: 200_000, last: 200_999 } });
      const one = workspaceIn('one');
      const two = workspaceIn('two');
      writeFileSync(join(one, 'file.txt'), 'x');
      const uidOf = async (workspaceRoot: string) => {
        const run = await sandbox.run(['sh', '-c', 'id -u; id -g; echo y >> file.txt'], { workspaceRoot });
        expect(run.exitCode, run.output).toBe(0);
        const [uid, gid] = run.output.trim().split('\n').map(Number);
        expect(gid).toBe(uid);
        return uid;
      };
      const [a, b] = await Promise.all([uidOf(one), uidOf(two)]);
      for (const uid of [a, b]) {
        expect(uid).toBeGreaterThanOrEqual(200_000);
        expect(uid).toBeLessThanOrEqual(200_999);
      }
      expect(a).not.toBe(b);
      expect(await uidOf(one)).toBe(a);
      expect(statSync(join(one, 'file.txt')).uid).toBe(a);
      expect(readFileSync(join(one, 'file.txt'), 'utf8')).toBe('xy\ny\n');
    },
  );

  it('stops a run that writes past the disk quota with the reason, removes what it wrote, and leaves the job files and a concurrent run alone', async () => {
    const sandbox = new Sandbox({ timeoutMs: 30_000, diskBytes: 32 * MiB, maxFileBytes: 1024 * MiB });
    const filling = workspaceIn('filling');
    mkdirSync(join(filling, 'src'));
    writeFileSync(join(filling, 'src', 'app.js'), 'module.exports = 1;\n');
    writeFileSync(join(filling, 'data.bin'), randomBytes(4 * MiB));
    const before = { app: sha256(join(filling, 'src', 'app.js')), data: sha256(join(filling, 'data.bin')) };
    const calm = workspaceIn('calm');
    const started = Date.now();
    const [filled, other] = await Promise.all([
      sandbox.run(
        [
          'node',
          '-e',
          'const fs = require("fs"); fs.mkdirSync("out/deep", { recursive: true }); const block = Buffer.alloc(1024 * 1024, 120); ' +
            'for (let i = 0; i < 64; i++) { const fd = fs.openSync("out/deep/part-" + i + ".bin", "w"); for (let j = 0; j < 8; j++) fs.writeSync(fd, block); fs.closeSync(fd); fs.appendFileSync("src/app.js", "// more\\n"); } console.log("wrote 512 MiB")',
        ],
        { workspaceRoot: filling },
      ),
      sandbox.run(
        [
          'node',
          '-e',
          'const fs = require("fs"); fs.writeFileSync("result.bin", Buffer.alloc(8 * 1024 * 1024, 1)); setTimeout(() => console.log("done"), 1500)',
        ],
        { workspaceRoot: calm },
      ),
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(filled, filled.output).toMatchObject({ timedOut: false, aborted: false, diskQuotaExceeded: true });
    expect(filled.exitCode).not.toBe(0);
    expect(filled.output).toMatch(/disk quota of 32 MiB/);
    // What the run created is gone; the files that were there before it are as they were (app.js with the lines the run appended).
    expect(existsSync(join(filling, 'out'))).toBe(false);
    expect(sha256(join(filling, 'data.bin'))).toBe(before.data);
    expect(readFileSync(join(filling, 'src', 'app.js'), 'utf8')).toMatch(/^module\.exports = 1;\n(\/\/ more\n)+$/);
    expect(before.app).toBeTruthy();
    expect(other, other.output).toMatchObject({ exitCode: 0, timedOut: false, diskQuotaExceeded: false });
    expect(other.output.trim()).toBe('done');
    expect(statSync(join(calm, 'result.bin')).size).toBe(8 * MiB);
  }, 90_000);

  it('refuses to start a run in a workspace that is already over its disk quota, saying by how much', async () => {
    const sandbox = new Sandbox({ diskBytes: 2 * MiB });
    const full = workspaceIn('full');
    writeFileSync(join(full, 'big.bin'), randomBytes(3 * MiB));
    const run = await sandbox.run(['sh', '-c', 'echo ran > ran.txt'], { workspaceRoot: full });
    expect(run).toMatchObject({ exitCode: null, diskQuotaExceeded: true });
    expect(run.output).toMatch(/already uses 3\.\d MiB .*disk quota of 2 MiB/);
    expect(existsSync(join(full, 'ran.txt'))).toBe(false);
    expect(existsSync(join(full, 'big.bin'))).toBe(true);
  });
});
