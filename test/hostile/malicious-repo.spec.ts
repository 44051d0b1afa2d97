import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AllowAllGate,
  createToolRegistry,
  Sandbox,
  ToolContext,
  ToolRegistry,
  ToolRunState,
  Workspace,
  WorkspaceManager,
} from '@app/tools';
import { RepositoryAccess } from '@app/common';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { HAS_BWRAP } from '../support/sandbox';
import { api, waitFor } from '../support/http';
import { LONG, scale } from '../support/long';
import { startTestApp, TestApp } from '../support/test-app';

/*
 * A hostile repository: symlinks out of the workspace, hooks and config tricks in the origin, huge
 * files, and a test suite that probes the sandbox and abuses its limits. Real git, real bubblewrap,
 * real jobs through the API with the scripted fake model. Every check is what a person would look
 * at: the marker file a hook would write does not exist, the secret is not in the output, the tool
 * answered with code X, the server still answers /api/health/ready.
 */

const SERVICE_ROOT = resolve(__dirname, '../..');
const SECRET = `aict-hostile-secret-${randomBytes(8).toString('hex')}`;
const MiB = 1024 * 1024;
const SIZES = {
  hugeFile: scale(200 * MiB, 2048 * MiB),
  oneLine: scale(50 * MiB, 500 * MiB),
  manyFiles: scale(2_000, 100_000),
};

/**
 * The flood of sleeping processes a hostile suite starts (`sleep` with a duration nothing else uses, to
 * count them): with the suite's node (7 threads, which Linux counts as processes) and its shell, 124
 * of the 128 processes its run may have; with a uid shared by all runs, no other run could start node.
 */
const FLOOD = { processes: 116, seconds: '20.123', limit: 128 };

/** Time allowed to the tests with big files (the long run builds 100,000 files and a 2 GiB file). */
const SLOW = scale(120_000, 1_800_000);

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Mallory',
  GIT_AUTHOR_EMAIL: 'mallory@localhost',
  GIT_COMMITTER_NAME: 'Mallory',
  GIT_COMMITTER_EMAIL: 'mallory@localhost',
};
/** git as the test's own hand, never running the repository's hooks. */
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

type Entry = string | Buffer | { symlink: string } | { gitlink: string };

/** A repository on branch `main` with one commit holding `entries` (files, symlinks, gitlinks). */
function buildRepo(dir: string, entries: Record<string, Entry>): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  const gitlinks: [string, string][] = [];
  for (const [path, entry] of Object.entries(entries)) {
    const absolute = join(dir, path);
    mkdirSync(dirname(absolute), { recursive: true });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) writeFileSync(absolute, entry);
    else if ('symlink' in entry) symlinkSync(entry.symlink, absolute);
    else gitlinks.push([path, entry.gitlink]);
  }
  git(dir, 'add', '-A');
  for (const [path, sha] of gitlinks) git(dir, 'update-index', '--add', '--cacheinfo', `160000,${sha},${path}`);
  git(dir, 'commit', '--quiet', '-m', 'a perfectly normal repository');
  return dir;
}

const HOOKS = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'pre-receive',
  'update',
  'proc-receive',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'pre-auto-gc',
  'post-rewrite',
  'post-index-change',
  'fsmonitor-watchman',
];

/**
 * Arms an origin repository: every hook in `.git/hooks` and in a `core.hooksPath` directory, and
 * every config key that makes git run a program, writes a marker file into `markers`.
 */
function armOrigin(origin: string, markers: string): void {
  const touch = (name: string) => `touch ${join(markers, name)}`;
  const hookDirs = {
    [join(origin, '.git', 'hooks')]: 'hook-',
    [join(dirname(origin), `${origin.split('/').at(-1)}-hooks`)]: 'hooks-path-',
  };
  for (const [dir, prefix] of Object.entries(hookDirs)) {
    mkdirSync(dir, { recursive: true });
    for (const hook of HOOKS) {
      writeFileSync(join(dir, hook), `#!/bin/sh\n${touch(prefix + hook)}\ncat >/dev/null 2>&1 || true\n`);
      chmodSync(join(dir, hook), 0o755);
    }
  }
  const alternate = `${origin}-alternate.git`;
  execFileSync('git', ['init', '--quiet', '--bare', alternate], { env: GIT_ENV });
  writeFileSync(join(origin, '.git', 'objects', 'info', 'alternates'), `${join(alternate, 'objects')}\n`);
  const config: Record<string, string> = {
    'core.hooksPath': Object.keys(hookDirs)[1],
    'core.fsmonitor': touch('config-core.fsmonitor'),
    'core.sshCommand': touch('config-core.sshCommand'),
    'core.pager': touch('config-core.pager'),
    'core.editor': touch('config-core.editor'),
    'core.alternateRefsCommand': `${touch('config-core.alternateRefsCommand')}; true`,
    'filter.evil.clean': `${touch('config-filter.clean')}; cat`,
    'filter.evil.smudge': `${touch('config-filter.smudge')}; cat`,
    'filter.evil.process': touch('config-filter.process'),
    'diff.evil.textconv': `${touch('config-diff.textconv')}; cat`,
    'diff.external': touch('config-diff.external'),
    'uploadpack.packObjectsHook': touch('config-uploadpack.packObjectsHook'),
    'receive.denyCurrentBranch': 'updateInstead',
    'receive.autogc': 'true',
    'gc.auto': '1',
    'gc.autoDetach': 'false',
  };
  for (const [key, value] of Object.entries(config)) git(origin, 'config', key, value);
}

/** Processes (other than this one) whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs `op` and reports how far the memory this process holds (JS heap and buffers) rose meanwhile, sampled, in MiB. */
async function memoryGrowthMb<T>(op: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const held = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.external;
  };
  collectGarbage(); // so earlier garbage collected during `op` does not hide what `op` holds
  const before = held();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, held())), 5);
  try {
    const value = await op();
    peak = Math.max(peak, held());
    return { value, growthMb: (peak - before) / MiB };
  } finally {
    clearInterval(timer);
  }
}

const END_LINE = 'THE END of a generated log that nobody should read whole';

/** Writes about `bytes` of text lines, the last one END_LINE; returns the number of lines. */
function writeTextFile(path: string, bytes: number): number {
  const line = `${'a generated line of a log file, '.repeat(2)}nothing to see\n`;
  const perBlock = Math.floor(MiB / line.length);
  const block = Buffer.from(line.repeat(perBlock));
  const blocks = Math.max(1, Math.floor(bytes / block.length));
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
    writeSync(fd, `${END_LINE}\n`);
  } finally {
    closeSync(fd);
  }
  return blocks * perBlock + 1;
}

/**
 * The repository's test suite (run by run_tests in the sandbox, `node .hostile/suite.js <filter>`):
 * without a filter it probes what it can reach and prints `PROBE <json>`; with one it misbehaves.
 */
function suiteSource(targets: { files: string[]; dirs: string[]; ports: number[]; markers: string }): string {
  return `
const fs = require('fs');
const net = require('net');
const dns = require('dns');
const cp = require('child_process');
const targets = ${JSON.stringify(targets)};
const mode = process.argv[2] && process.argv[2] !== '{filter}' ? process.argv[2] : 'probe';
const pass = () => console.log('# pass 1\\n# fail 0');
const attempt = (fn) => { try { return fn(); } catch (e) { return 'DENIED ' + e.code; } };
const connect = (host, port) => new Promise((done) => {
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => { socket.destroy(); done('BLOCKED timeout'); }, 1500);
  socket.on('connect', () => { clearTimeout(timer); socket.destroy(); done('CONNECTED'); });
  socket.on('error', (e) => { clearTimeout(timer); done('BLOCKED ' + e.code); });
});
async function probe() {
  const result = { env: process.env, files: {}, dirs: {}, net: {}, environs: {} };
  for (const f of targets.files) result.files[f] = attempt(() => 'READ ' + fs.readFileSync(f, 'utf8').slice(0, 300));
  for (const d of targets.dirs) result.dirs[d] = attempt(() => 'LISTED ' + fs.readdirSync(d).slice(0, 20).join(','));
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
    result.environs[pid] = attempt(() => fs.readFileSync('/proc/' + pid + '/environ', 'utf8').replace(/\\0/g, ' ').slice(0, 300));
  }
  const checks = targets.ports.map((port) => ['127.0.0.1:' + port, connect('127.0.0.1', port)]);
  checks.push(['1.1.1.1:443', connect('1.1.1.1', 443)]);
  checks.push(['dns example.com', new Promise((done) => dns.lookup('example.com', (e, a) => done(e ? 'BLOCKED ' + e.code : 'RESOLVED ' + a)))]);
  for (const [name, pending] of checks) result.net[name] = await pending;
  result.wroteOutside = attempt(() => { fs.writeFileSync(targets.markers + '/written-from-sandbox', 'x'); return 'WROTE'; });
  console.log('PROBE ' + JSON.stringify(result));
  pass();
}
const modes = {
  probe,
  // The shell keeps the run alive without forking, so only the clock ends it.
  'fork-bomb': () => {
    const run = cp.spawnSync('sh', ['-c', 'b() { b | b & }; b; while :; do :; done', 'AICT_FORK_BOMB'], { stdio: 'inherit' });
    console.log('bomb ended: ' + (run.error ? run.error.code : run.status));
    process.exit(1);
  },
  memory: () => { console.log('allocating without end'); const hog = []; for (;;) hog.push(Buffer.alloc(64 * 1024 * 1024, 1)); },
  disk: () => {
    fs.mkdirSync('out', { recursive: true });
    const fd = fs.openSync('out/big.bin', 'w');
    const block = Buffer.alloc(1024 * 1024, 120);
    console.log('writing without end');
    for (;;) fs.writeSync(fd, block);
  },
  forever: () => { console.log('spinning'); for (;;) {} },
  // Most of the run's process limit, asleep for a while; then the suite passes.
  flood: () => {
    const child = cp.spawn('sh', ['-c', 'i=0; while [ $i -lt ${FLOOD.processes} ]; do sleep ${FLOOD.seconds} & i=$((i+1)); done; wait'], { stdio: 'inherit' });
    child.on('exit', (code) => { console.log('flood ended: ' + code); pass(); });
  },
  // What a normal test run does: start a few processes.
  forks: () => {
    let n = 0;
    for (let i = 0; i < 20; i++) if (cp.spawnSync('true').status === 0) n++;
    console.log('forked ' + n);
    console.log('# pass ' + (n === 20 ? 1 : 0) + '\\n# fail ' + (n === 20 ? 0 : 1));
  },
  // 512 MiB in files of 8 MiB, well under the file-size limit each.
  fill: () => {
    fs.mkdirSync('gen/fill', { recursive: true });
    const block = Buffer.alloc(1024 * 1024, 120);
    for (let i = 0; i < 64; i++) {
      const fd = fs.openSync('gen/fill/part-' + i + '.bin', 'w');
      for (let j = 0; j < 8; j++) fs.writeSync(fd, block);
      fs.closeSync(fd);
    }
    console.log('filled 512 MiB');
    pass();
  },
  // Files up to the file-size limit each, more than a diff may hold in all.
  bloat: () => {
    fs.mkdirSync('gen', { recursive: true });
    const block = Buffer.from('generated data that makes the change enormous\\n'.repeat(20000));
    for (let i = 0; i < 10; i++) {
      const fd = fs.openSync('gen/part-' + i + '.txt', 'w');
      try { for (;;) fs.writeSync(fd, block); } catch (e) { console.log('part ' + i + ': ' + e.code); } finally { fs.closeSync(fd); }
    }
    pass();
  },
  'swap-config': () => { fs.rmSync('config', { recursive: true, force: true }); fs.symlinkSync('../../keys', 'config'); pass(); },
  'plant-submodule': () => {
    const g = (...args) => cp.execFileSync('git', ['-c', 'user.name=m', '-c', 'user.email=m@m', ...args], { cwd: 'vendor/lib', stdio: 'inherit' });
    fs.mkdirSync('vendor/lib', { recursive: true });
    g('init', '-q');
    fs.writeFileSync('vendor/lib/.gitattributes', '* filter=evil\\n');
    fs.writeFileSync('vendor/lib/f.txt', 'one\\n');
    g('add', '-A');
    g('commit', '-q', '-m', 'planted');
    g('config', 'filter.evil.clean', 'touch ' + targets.markers + '/submodule-filter-clean; cat');
    g('config', 'core.fsmonitor', 'touch ' + targets.markers + '/submodule-fsmonitor');
    fs.writeFileSync('vendor/lib/f.txt', 'two, a racily changed file\\n');
    pass();
  },
  // No TAP summary: every parser gets its turn at the output.
  noise: () => {
    process.stdout.write('Tests ' + '\\n'.repeat(60000));
    console.log('a.js:1: x' + ' '.repeat(60000) + 'y!');
    console.log('a.js\\n  1:1  error x' + ' '.repeat(60000) + 'y!');
  },
};
Promise.resolve(modes[mode]()).catch((e) => { console.error(e); process.exit(1); });
`;
}

/** A tool context on a workspace, as a job's agent has it. */
function contextFor(workspace: Workspace, jobId: string): ToolContext {
  return { workspace, signal: new AbortController().signal, jobId, gate: new AllowAllGate(), state: new ToolRunState() };
}

describe('a malicious repository', () => {
  // Not skipped without bubblewrap: these tests are what shows the sandbox holds.
  beforeAll(() => {
    if (!HAS_BWRAP) throw new Error('bubblewrap is missing: apt-get install bubblewrap (.ci/run does)');
  });

  let root: string;
  let markers: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'aict-hostile-repo-'));
    chmodSync(root, 0o777);
    markers = join(root, 'markers');
    mkdirSync(markers);
    writeFileSync(join(root, 'host-secret.txt'), `${SECRET}\n`);
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  }, SLOW);
  const markersWritten = () => readdirSync(markers).sort();

  describe('tools in a workspace full of traps', () => {
    let dataDir: string;
    let keyFile: string;
    let origin: string;
    let manager: WorkspaceManager;
    let registry: ToolRegistry;
    let workspace: Workspace;
    let ctx: ToolContext;
    const call = (name: string, input: unknown, on: ToolContext = ctx) => registry.run(name, input, on);

    beforeAll(async () => {
      dataDir = join(root, 'tools-data');
      keyFile = join(dataDir, 'keys', 'truthpack-ed25519.json');
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify({ secretKey: SECRET }));
      origin = buildRepo(join(root, 'origin'), {
        '.aict.yml': 'test: [node, .hostile/suite.js, "{filter}"]\nlint: [node, .hostile/suite.js, noise]\n',
        '.gitignore': 'out/\n',
        '.gitattributes': '* filter=evil diff=evil\n',
        '.gitmodules': '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = ./vendor/lib\n',
        '.hostile/suite.js': suiteSource({ files: [], dirs: [], ports: [], markers }),
        'src/app.js': 'module.exports = (a, b) => a + b;\n',
        'config/truthpack-ed25519.json': '{"secretKey": "placeholder"}\n',
        'etc-passwd': { symlink: '/etc/passwd' },
        up: { symlink: '../../..' },
        'linked-dir': { symlink: '/etc' },
        'signing-key': { symlink: '../../keys/truthpack-ed25519.json' },
        'abs-key': { symlink: keyFile },
        'data-dir': { symlink: dataDir },
        service: { symlink: SERVICE_ROOT },
        'chain-1': { symlink: 'chain-2' },
        'chain-2': { symlink: 'chain-3' },
        'chain-3': { symlink: '../../keys' },
        'loop-a': { symlink: 'loop-b' },
        'loop-b': { symlink: 'loop-a' },
        'dev-zero': { symlink: '/dev/zero' },
        'inside-link': { symlink: 'src/app.js' },
        'vendor/lib': { gitlink: 'a'.repeat(40) },
      });
      armOrigin(origin, markers);
      manager = new WorkspaceManager({ dataDir, access: new RepositoryAccess({ loopbackOnly: true, dataDir }) });
      registry = createToolRegistry({
        sandbox: new Sandbox({ timeoutMs: 8_000, maxProcesses: 64, maxFileBytes: 8 * MiB, memoryBytes: 1024 * MiB }),
      });
      workspace = await manager.open({ jobId: 'hostile-1', repository: origin });
      ctx = contextFor(workspace, 'hostile-1');
    });

    const OUT_LINKS = ['etc-passwd', 'up', 'linked-dir', 'signing-key', 'abs-key', 'data-dir', 'service', 'chain-1', 'loop-a', 'dev-zero'];
    const THROUGH_LINKS = [
      'linked-dir/passwd',
      'up/host-secret.txt',
      'up/tools-data/keys/truthpack-ed25519.json',
      'chain-1/truthpack-ed25519.json',
      'service/package.json',
      'data-dir/keys/truthpack-ed25519.json',
    ];

    it('refuses to read, list or search through symlinks that leave the workspace, with outside_workspace', async () => {
      const answers: unknown[] = [];
      for (const path of [...OUT_LINKS, ...THROUGH_LINKS]) {
        const read = await call('read_file', { path });
        answers.push(read);
        expect(read, path).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
      }
      for (const path of ['up', 'linked-dir', 'chain-1', 'service', 'data-dir']) {
        const list = await call('list_files', { path });
        expect(list, path).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
        const search = await call('search_code', { query: 'secret|root', path });
        expect(search, path).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
      }
      // The whole tree: links are listed as entries, never followed.
      const all = await call('list_files', { depth: 10 });
      answers.push(all, await call('find_files', { pattern: '**/passwd' }), await call('find_files', { pattern: '**/*.json' }));
      expect(all.ok && all.data).toMatchObject({ entries: expect.arrayContaining(['linked-dir', 'signing-key', 'src/', 'src/app.js']) });
      expect(
        (all.ok && (all.data as { entries: string[] }).entries.filter((e) => /^(linked-dir|up|service|data-dir|chain-\d)\//.test(e))) || [
          'failed',
        ],
      ).toEqual([]);
      // (Patterns that match the secrets without spelling them, since a summary repeats its query.)
      for (const query of ['aict-hostile-secret-[0-9a-f]{16}', 'root:x:[0]:0', '"name": "ai-coding-tea[m]"']) {
        const search = await call('search_code', { query });
        answers.push(search);
        expect(search, query).toMatchObject({ ok: true, data: { matches: [] } });
      }
      const semantic = await call('semantic_search', { query: 'secretKey truthpack root passwd' });
      answers.push(semantic);
      // A link inside the workspace still works.
      expect(await call('read_file', { path: 'inside-link' })).toMatchObject({
        ok: true,
        data: { content: '1\tmodule.exports = (a, b) => a + b;' },
      });
      const everything = JSON.stringify(answers);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain('root:x:0:0');
    });

    it('refuses to write through them, and nothing outside the workspace changes', async () => {
      const passwd = readFileSync('/etc/passwd', 'utf8');
      const key = readFileSync(keyFile, 'utf8');
      for (const path of ['etc-passwd', 'signing-key', 'abs-key', 'chain-1/truthpack-ed25519.json']) {
        expect(await call('edit_file', { path, oldText: 'root', newText: 'pwned' }), path).toMatchObject({
          ok: false,
          error: { code: 'outside_workspace' },
        });
      }
      for (const path of ['linked-dir/aict-pwned', 'up/pwned-by-edit.txt', 'data-dir/keys/planted.json', 'loop-a/x']) {
        expect(await call('edit_file', { path, oldText: '', newText: 'pwned\n' }), path).toMatchObject({
          ok: false,
          error: { code: 'outside_workspace' },
        });
      }
      const patches = {
        'edit through a file link':
          'diff --git a/etc-passwd b/etc-passwd\n--- a/etc-passwd\n+++ b/etc-passwd\n@@ -1 +1 @@\n-root:x:0:0:root:/root:/bin/bash\n+pwned\n',
        'create through a dir link':
          'diff --git a/up/pwned-by-patch.txt b/up/pwned-by-patch.txt\nnew file mode 100644\n--- /dev/null\n+++ b/up/pwned-by-patch.txt\n@@ -0,0 +1 @@\n+pwned\n',
        'create in .git': '--- /dev/null\n+++ b/.git/hooks/post-commit\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+touch /tmp/pwned\n',
        'traverse with ..': '--- /dev/null\n+++ b/../../pwned-by-dotdot.txt\n@@ -0,0 +1 @@\n+pwned\n',
      };
      for (const [what, patch] of Object.entries(patches)) {
        expect(await call('apply_patch', { patch }), what).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
      }
      for (const path of ['.git/config', '.git/hooks/post-checkout', '.GIT/HEAD']) {
        expect(await call('read_file', { path }), path).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
        expect(await call('edit_file', { path, oldText: '', newText: 'x' }), path).toMatchObject({
          ok: false,
          error: { code: 'outside_workspace' },
        });
      }
      expect(readFileSync('/etc/passwd', 'utf8')).toBe(passwd);
      expect(readFileSync(keyFile, 'utf8')).toBe(key);
      for (const planted of ['pwned-by-edit.txt', 'pwned-by-patch.txt', 'pwned-by-dotdot.txt', 'tools-data/keys/planted.json'])
        expect(existsSync(join(root, planted)), planted).toBe(false);
      expect(existsSync('/etc/aict-pwned')).toBe(false);
      expect(readdirSync(join(dataDir, 'keys'))).toEqual(['truthpack-ed25519.json']);
    });

    it('does not read a directory a test swapped for a symlink, in any search', async () => {
      // The suite replaces the tracked directory `config` with a link to DATA_DIR/keys; git still lists config/truthpack-ed25519.json.
      const swap = await call('run_tests', { filter: 'swap-config' });
      expect(swap).toMatchObject({ ok: true, data: { green: true } });
      const answers = [
        await call('semantic_search', { query: 'secretKey truthpack ed25519' }),
        await call('search_code', { query: 'secretKey' }),
        await call('read_file', { path: 'config/truthpack-ed25519.json' }),
        await call('get_diff', {}),
      ];
      expect(answers[2]).toMatchObject({ ok: false, error: { code: 'outside_workspace' } });
      expect(JSON.stringify(answers)).not.toContain(SECRET);
      rmSync(join(workspace.root, 'config'), { recursive: true, force: true });
      git(workspace.root, 'checkout', '--quiet', '--', 'config');
      expect(readFileSync(join(workspace.root, 'config/truthpack-ed25519.json'), 'utf8')).toContain('placeholder');
    });

    it('never runs a hook or a configured program of the origin: clone, checkout, edit, commit, diff, status, push, restore', async () => {
      expect(await call('edit_file', { path: 'src/app.js', oldText: 'a + b', newText: 'Number(a) + Number(b)' })).toMatchObject({
        ok: true,
      });
      expect(await call('run_tests', {})).toMatchObject({ ok: true, data: { green: true } });
      expect(await call('commit_changes', { message: 'Coerce the operands' })).toMatchObject({ ok: true });
      expect(await call('get_diff', {})).toMatchObject({ ok: true, data: { files: 1 } });
      expect(await call('get_repo_state', {})).toMatchObject({ ok: true, data: { ahead: 1 } });
      const pushed = await workspace.pushBack();
      expect(pushed).toMatchObject({ pushed: true });
      expect(git(origin, 'rev-parse', `refs/heads/${workspace.branch}`)).toBe(await workspace.head());
      const restored = await manager.restore({ jobId: 'hostile-restored', repository: origin }, await workspace.patch());
      expect(readFileSync(join(restored.root, 'src/app.js'), 'utf8')).toContain('Number(a)');
      expect(markersWritten()).toEqual([]);

      // The traps are live: a plain push into the origin runs its hooks and its alternate-refs command.
      git(workspace.root, 'push', '--quiet', 'origin', `HEAD:refs/heads/control-${Date.now()}`);
      expect(markersWritten()).toEqual(
        expect.arrayContaining(['config-core.alternateRefsCommand', 'hooks-path-pre-receive', 'hooks-path-post-receive']),
      );
      rmSync(markers, { recursive: true });
      mkdirSync(markers);
    });

    it('does not let a test plant a repository whose config git would run on the host: the planted .git is removed before git looks', async () => {
      const run: any = await call('run_tests', { filter: 'plant-submodule' });
      expect(run).toMatchObject({ ok: true, data: { green: true } });
      expect(run.data.removedRepositories).toContain('vendor/lib/.git');
      expect(existsSync(join(workspace.root, 'vendor/lib/.git'))).toBe(false);
      expect(await call('get_repo_state', {})).toMatchObject({ ok: true });
      expect(await call('get_diff', {})).toMatchObject({ ok: true });
      await workspace.patch();
      await workspace.git(['status', '--porcelain']);
      // Not even git with its default settings finds a repository to run the planted filter from now.
      execFileSync('git', ['-c', 'safe.directory=*', '-c', 'core.hooksPath=/dev/null', 'status', '--porcelain'], {
        cwd: workspace.root,
        env: GIT_ENV,
        stdio: 'pipe',
      });
      expect(markersWritten()).toEqual([]);
      rmSync(join(workspace.root, 'vendor/lib'), { recursive: true, force: true });
      mkdirSync(join(workspace.root, 'vendor/lib'));
    });

    it('reads no project config through a symlink, a FIFO or a device, and does not hang on one', async () => {
      const npmOrigin = buildRepo(join(root, 'origin-npm'), {
        'package.json': JSON.stringify({ name: 'trap', scripts: { test: 'node swap.js' } }),
        'swap.js':
          "require('fs').rmSync('package.json'); require('child_process').execFileSync('mkfifo', ['package.json']); console.log('# pass 1\\n# fail 0');\n",
      });
      const npm = contextFor(await manager.open({ jobId: 'hostile-npm', repository: npmOrigin }), 'hostile-npm');
      expect(await call('run_tests', {}, npm)).toMatchObject({ ok: true });
      expect(statSync(join(npm.workspace.root, 'package.json')).isFIFO()).toBe(true);
      const started = Date.now();
      expect(await call('run_tests', {}, npm)).toMatchObject({ ok: false, error: { code: 'no_command' } });
      rmSync(join(npm.workspace.root, 'package.json'));
      symlinkSync('/dev/zero', join(npm.workspace.root, 'package.json'));
      expect(await call('run_tests', {}, npm)).toMatchObject({ ok: false, error: { code: 'no_command' } });
      rmSync(join(npm.workspace.root, 'package.json'));
      symlinkSync(join(root, 'host-secret.txt'), join(npm.workspace.root, '.aict.yml'));
      const linked = await call('run_tests', {}, npm);
      expect(linked).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(JSON.stringify(linked)).not.toContain(SECRET);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('parses hostile test and lint output in linear time', async () => {
      let started = Date.now();
      expect(await call('run_tests', { filter: 'noise' })).toMatchObject({ ok: true, data: { runner: 'exit_code' } });
      // The sandbox run takes well under a second; the quadratic parsers took tens of seconds on this output.
      expect(Date.now() - started).toBeLessThan(5_000);
      started = Date.now();
      expect(await call('run_lint', {})).toMatchObject({
        ok: true,
        data: { diagnostics: [expect.objectContaining({ path: 'a.js', line: 1 }), expect.objectContaining({ path: 'a.js', line: 1 })] },
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    describe('huge files', () => {
      let bulky: ToolContext;
      let hugeLines: number;
      const oneLineBytes = SIZES.oneLine;

      beforeAll(async () => {
        const many: Record<string, string> = {};
        for (let i = 0; i < SIZES.manyFiles; i++) many[`many/d${i % 100}/f${i}.txt`] = `file ${i}\n`;
        const dir = join(root, 'origin-bulky');
        buildRepo(dir, {
          ...many,
          'one-line.txt': 'a'.repeat(oneLineBytes),
          'blob.bin': Buffer.concat([randomBytes(4096), Buffer.alloc(4096), randomBytes(4096)]),
          'src/index.js': 'export const ok = true;\n',
        });
        bulky = contextFor(await manager.open({ jobId: 'hostile-bulky', repository: dir }), 'hostile-bulky');
        // As a repository's generator or a test run leaves them: a huge text file and a huge sparse one.
        hugeLines = writeTextFile(join(bulky.workspace.root, 'huge.log'), SIZES.hugeFile);
        const fd = openSync(join(bulky.workspace.root, 'sparse.bin'), 'w');
        ftruncateSync(fd, SIZES.hugeFile);
        closeSync(fd);
      }, SLOW);

      it(
        'read_file streams a huge text file: a bounded page with a truncated flag, and its end by range, in little memory',
        async () => {
          const first = await memoryGrowthMb(() => call('read_file', { path: 'huge.log' }, bulky));
          expect(first.value).toMatchObject({ ok: true, data: { startLine: 1, endLine: 2000, totalLines: hugeLines, truncated: true } });
          expect(first.value.ok && (first.value.data as { content: string }).content.length).toBeLessThanOrEqual(256 * 1024);
          const last = await memoryGrowthMb(() =>
            call('read_file', { path: 'huge.log', startLine: hugeLines - 2, endLine: hugeLines + 10 }, bulky),
          );
          expect(last.value).toMatchObject({ ok: true, data: { endLine: hugeLines, truncated: false } });
          expect(last.value.ok && (last.value.data as { content: string }).content).toContain(`${hugeLines}\t${END_LINE}`);
          expect(first.growthMb).toBeLessThan(64);
          expect(last.growthMb).toBeLessThan(64);
        },
        SLOW,
      );

      it('read_file cuts a 50 MB line and says so; a sparse or binary file is binary_file', async () => {
        const line = await memoryGrowthMb(() => call('read_file', { path: 'one-line.txt' }, bulky));
        expect(line.value).toMatchObject({ ok: true, data: { totalLines: 1, cutLines: 1, truncated: false } });
        const content = line.value.ok ? (line.value.data as { content: string }).content : '';
        expect(content.length).toBeLessThan(17 * 1024);
        expect(content).toContain(`[line cut: ${oneLineBytes} bytes in all]`);
        expect(line.growthMb).toBeLessThan(64);
        expect(await call('read_file', { path: 'sparse.bin' }, bulky)).toMatchObject({ ok: false, error: { code: 'binary_file' } });
        expect(await call('read_file', { path: 'blob.bin' }, bulky)).toMatchObject({ ok: false, error: { code: 'binary_file' } });
      });

      it('edit_file refuses a huge file with file_too_large', async () => {
        expect(await call('edit_file', { path: 'huge.log', oldText: 'line 1 of', newText: 'x' }, bulky)).toMatchObject({
          ok: false,
          error: { code: 'file_too_large' },
        });
        expect(await call('edit_file', { path: 'one-line.txt', oldText: 'aaa', newText: 'b' }, bulky)).toMatchObject({
          ok: false,
          error: { code: 'file_too_large' },
        });
      });

      it(
        'search_code answers in bounded size over a huge line and a huge file; binary files are skipped',
        async () => {
          const wide = await memoryGrowthMb(() => call('search_code', { query: 'a{32}', maxResults: 5 }, bulky));
          expect(wide.value).toMatchObject({ ok: true });
          const matches = wide.value.ok ? (wide.value.data as { matches: { path: string; text: string }[] }).matches : [];
          expect(matches.map((m) => m.path)).toEqual(['one-line.txt']);
          expect(matches[0].text.length).toBeLessThanOrEqual(301);
          // git's output streams through an 8 MiB window (what is dropped is garbage until collected); unbounded it held over 200 MB here.
          expect(wide.growthMb).toBeLessThan(96);
          const deep = await call('search_code', { query: `^${END_LINE}$` }, bulky);
          expect(deep).toMatchObject({ ok: true, data: { matches: [{ path: 'huge.log', line: hugeLines }] } });
          const many = await call('search_code', { query: 'file \\d+', path: 'many', maxResults: 500 }, bulky);
          expect(many).toMatchObject({ ok: true, data: { truncated: true } });
          expect(many.ok && (many.data as { matches: unknown[] }).matches).toHaveLength(500);
        },
        SLOW,
      );

      it(
        'lists, finds and ranks among thousands of files with capped answers',
        async () => {
          expect(await call('list_files', { path: 'many', depth: 2 }, bulky)).toMatchObject({
            ok: true,
            data: { truncated: true, entries: expect.any(Array) },
          });
          const found = await call('find_files', { pattern: 'many/**/*.txt' }, bulky);
          expect(found).toMatchObject({ ok: true, data: { truncated: true } });
          expect(found.ok && (found.data as { files: string[] }).files).toHaveLength(1000);
          const ranked = await memoryGrowthMb(() => call('semantic_search', { query: 'file 4242' }, bulky));
          expect(ranked.value).toMatchObject({ ok: true });
          expect(ranked.growthMb).toBeLessThan(scale(256, 1024));
        },
        SLOW,
      );

      it(
        'refuses a diff too large to checkpoint with output_too_large instead of cutting it, and cuts get_diff for the model',
        async () => {
          rmSync(join(bulky.workspace.root, 'huge.log'));
          rmSync(join(bulky.workspace.root, 'sparse.bin'));
          // Larger than the 64 MiB a diff may have, as a generated file a test run left behind.
          writeTextFile(join(bulky.workspace.root, 'generated.log'), 70 * MiB);
          const diff = await memoryGrowthMb(() => call('get_diff', {}, bulky));
          expect(diff.value).toMatchObject({ ok: false, error: { code: 'output_too_large' } });
          expect(diff.growthMb).toBeLessThan(200);
          await expect(bulky.workspace.patch()).rejects.toMatchObject({ code: 'output_too_large' });
          rmSync(join(bulky.workspace.root, 'generated.log'));
          writeTextFile(join(bulky.workspace.root, 'medium.log'), 2 * MiB);
          const cut = await call('get_diff', {}, bulky);
          expect(cut).toMatchObject({ ok: true, data: { files: 1, truncated: true } });
          expect(cut.ok && (cut.data as { diff: string }).diff.length).toBeLessThan(257 * 1024 + 200);
          const patch = await bulky.workspace.patch();
          expect(patch.length).toBeGreaterThan(2 * MiB);
          expect(patch.endsWith('\n')).toBe(true);
        },
        SLOW,
      );

      it(
        'clones and restores a repository of big files and many files without trouble',
        async () => {
          const started = Date.now();
          const again = await manager.restore(
            { jobId: 'hostile-bulky-2', repository: join(root, 'origin-bulky') },
            await bulky.workspace.patch(),
          );
          expect(statSync(join(again.root, 'one-line.txt')).size).toBe(oneLineBytes);
          expect(existsSync(join(again.root, 'medium.log'))).toBe(true);
          expect(Date.now() - started).toBeLessThan(scale(30_000, 300_000));
          await again.cleanup();
        },
        SLOW,
      );
    });
  });

  describe('a job on a hostile repository, through the API', () => {
    let fake: FakeModel;
    let t: TestApp;
    let loopback: Server;
    let loopbackConnections = 0;
    let dataDir: string;
    let signingKey: string;
    const savedEnv: Record<string, string | undefined> = {};
    const HOST_SECRETS: Record<string, string> = {
      ANTHROPIC_API_KEY: `sk-ant-${SECRET}-model`,
      DATABASE_URL: `postgres://aict:${SECRET}-db@127.0.0.1:5432/aict`,
      AUTH_BOOTSTRAP_TOKEN: `aict_${SECRET}-bootstrap`,
      GITHUB_WEBHOOK_SECRET: `${SECRET}-github`,
      GENERIC_WEBHOOK_SECRET: `${SECRET}-generic`,
      TRUTHPACK_SIGNING_KEY_HINT: `${SECRET}-signing`,
    };

    beforeAll(async () => {
      // Secrets in the server's own environment: nothing of it may reach a sandboxed command.
      for (const [key, value] of Object.entries(HOST_SECRETS)) {
        savedEnv[key] = process.env[key];
        process.env[key] = value;
      }
      loopback = createServer((socket) => {
        loopbackConnections++;
        socket.end('hello from the host');
      });
      await new Promise<void>((done) => loopback.listen(0, '127.0.0.1', done));
      fake = await startFakeModel();
      dataDir = join(root, 'data');
      t = await startTestApp({
        env: {
          ANTHROPIC_API_KEY: HOST_SECRETS.ANTHROPIC_API_KEY,
          ANTHROPIC_BASE_URL: fake.url,
          DATA_DIR: dataDir,
          MODEL_MAX_RETRIES: '0',
          SANDBOX_TIMEOUT_MS: '4000',
          SANDBOX_MAX_PROCESSES: '128',
          SANDBOX_MEMORY_MB: '1024',
          SANDBOX_MAX_FILE_MB: '8',
        },
      });
      signingKey = readFileSync(join(dataDir, 'keys', 'truthpack-ed25519.json'), 'utf8');
    });
    afterAll(async () => {
      await t?.close();
      await fake?.close();
      await new Promise<void>((done) => (loopback ? loopback.close(() => done()) : done()));
      for (const [key, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    const appPort = () => Number(new URL(t.url).port);
    /** A hostile origin whose suite probes the given targets. */
    const hostileOrigin = (name: string) => {
      const keyFile = join(dataDir, 'keys', 'truthpack-ed25519.json');
      const dir = buildRepo(join(root, name), {
        '.aict.yml': 'test: [node, .hostile/suite.js, "{filter}"]\n',
        '.gitignore': 'out/\n',
        '.gitattributes': '* filter=evil diff=evil\n',
        '.hostile/suite.js': suiteSource({
          files: [
            keyFile,
            'signing-key',
            'chain-1/truthpack-ed25519.json',
            join(SERVICE_ROOT, 'package.json'),
            join(root, 'host-secret.txt'),
            '/root/.bash_history',
            '/etc/shadow',
          ],
          dirs: [dataDir, join(dataDir, 'keys'), '/root', SERVICE_ROOT, root, 'up'],
          ports: [(loopback.address() as { port: number }).port, appPort()],
          markers,
        }),
        'src/app.js': 'module.exports = (a, b) => a + b;\n',
        'signing-key': { symlink: '../../keys/truthpack-ed25519.json' },
        'chain-1': { symlink: 'chain-2' },
        'chain-2': { symlink: '../../keys' },
        'linked-dir': { symlink: '/etc' },
        'etc-passwd': { symlink: '/etc/passwd' },
        up: { symlink: '../../..' },
      });
      armOrigin(dir, markers);
      return dir;
    };
    const submit = (goal: string, repo: string) => api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
    const finished = (id: string) =>
      waitFor(
        async () => {
          const job = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
          return ['succeeded', 'failed', 'aborted', 'waiting_human'].includes(job.status) ? job : null;
        },
        90_000,
        `job ${id} to end`,
      );
    const toolEvents = async (id: string) =>
      (await api(t.url, 'GET', `/api/events?jobId=${id}&type=tool_call&limit=1000`)).body.items as { data: any }[];
    const codes = (events: { data: any }[]) => events.map((e) => `${e.data.tool}:${e.data.ok ? 'ok' : e.data.result.error.code}`);

    it('keeps the job inside its workspace and sandbox: no secret, no network, no hook, the branch pushed, the server healthy', async () => {
      const origin = hostileOrigin('origin-job');
      const goal = 'fix the add bug in src/app.js [hostile-job-a]';
      fake.addScenario({
        match: { contains: goal },
        roles: {
          builder: [
            reply(toolUse('read_file', { path: 'signing-key' })),
            reply(toolUse('read_file', { path: 'linked-dir/passwd' })),
            reply(toolUse('edit_file', { path: 'etc-passwd', oldText: 'root', newText: 'pwned' })),
            reply(toolUse('edit_file', { path: 'src/app.js', oldText: 'a + b', newText: 'Number(a) + Number(b)' })),
            reply(toolUse('run_tests', {})),
            reply(toolUse('commit_changes', { message: 'Coerce the operands of add' })),
            reply('Fixed add in src/app.js; the tests pass.'),
          ],
        },
      });
      const created = await submit(goal, origin);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const job = await finished(created.body.id);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.result).toMatchObject({ pushed: true, tests: { passed: true } });
      expect(git(origin, 'rev-parse', `refs/heads/aict/${job.id}`)).toBe(job.result.commit);

      const events = await toolEvents(job.id);
      expect(codes(events)).toEqual([
        'read_file:outside_workspace',
        'read_file:outside_workspace',
        'edit_file:outside_workspace',
        'edit_file:ok',
        'run_tests:ok',
        'commit_changes:ok',
      ]);
      const output: string = events.find((e) => e.data.tool === 'run_tests')!.data.result.data.outputTail;
      const probe = JSON.parse(/^PROBE (.*)$/m.exec(output)![1]);
      // No network: not the host's loopback, not the server itself, not the internet, not DNS.
      for (const [target, outcome] of Object.entries(probe.net)) expect(outcome, target).toMatch(/^BLOCKED/);
      expect(loopbackConnections).toBe(0);
      // A clean environment: none of the server's secrets or settings.
      const allowed = [...Object.keys(new Sandbox().environment()), 'PWD'];
      expect(Object.keys(probe.env).filter((key) => !allowed.includes(key))).toEqual([]);
      expect(JSON.stringify(probe.env)).not.toContain(SECRET);
      // No host files: DATA_DIR (keys), the service's source, /root, other files of the host; not through the links either.
      for (const [file, outcome] of Object.entries(probe.files)) expect(outcome, file).toMatch(/^DENIED/);
      // A directory on the way to the workspace exists in the sandbox, empty but for that way.
      const way = join(dataDir, 'workspaces', job.id).split('/');
      for (const [dir, outcome] of Object.entries(probe.dirs) as [string, string][]) {
        if (outcome.startsWith('DENIED')) continue;
        expect(
          outcome
            .replace(/^LISTED /, '')
            .split(',')
            .filter((name) => !way.includes(name)),
          dir,
        ).toEqual([]);
      }
      expect(probe.wroteOutside).toMatch(/^DENIED/);
      for (const environ of Object.values(probe.environs) as string[]) expect(environ).not.toContain(SECRET);

      // Nothing of it anywhere the job's results go: events, job, patch.
      const everything = [
        JSON.stringify((await api(t.url, 'GET', `/api/events?jobId=${job.id}&limit=1000`)).body),
        JSON.stringify(job),
        await (await fetch(`${t.url}/api/jobs/${job.id}/diff`)).text(),
      ].join('\n');
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(JSON.parse(signingKey).secretKey);
      expect(everything).not.toContain('root:x:0:0');
      // No hook or configured program of the origin ran: clone, checkout, commit, diff, push.
      expect(markersWritten()).toEqual([]);
      expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
    });

    it('kills a fork bomb, a memory hog, an endless file and an endless loop with clear results; the server stays healthy and no process is left', async () => {
      const origin = hostileOrigin('origin-abuse');
      const goal = 'fix the add bug in src/app.js [hostile-job-b]';
      fake.addScenario({
        match: { contains: goal },
        roles: {
          builder: [
            reply(toolUse('run_tests', { filter: 'fork-bomb' })),
            reply(toolUse('run_tests', { filter: 'memory' })),
            reply(toolUse('run_tests', { filter: 'disk' })),
            reply(toolUse('run_tests', { filter: 'forever' })),
            reply('The test suite of this repository is hostile; nothing was changed.'),
          ],
        },
      });
      // The server answers throughout.
      const latencies: number[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const started = Date.now();
          const live = await api(t.url, 'GET', '/api/health/live');
          latencies.push(live.status === 200 ? Date.now() - started : Infinity);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const id = (await submit(goal, origin)).body.id;
      const job = await finished(id);
      polling = false;
      await poller;
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');

      const events = await toolEvents(job.id);
      const [bomb, memory, disk, forever] = events.map((e) => (e.data.ok ? e.data.result.data : e.data.result.error.details));
      const seen = JSON.stringify(
        [bomb, memory, disk, forever].map((r) => ({
          exitCode: r?.exitCode,
          timedOut: r?.timedOut,
          ms: r?.durationMs,
          tail: r?.outputTail?.slice(-300),
        })),
      );
      expect(codes(events).slice(1), seen).toEqual(['run_tests:ok', 'run_tests:ok', 'run_tests:timeout']);
      // The bomb runs into its run's process limit (its own: no other run's processes count); then its
      // shell spins until the clock ends it, or gives up on a failed fork (dash: "Cannot fork"). Either
      // way it is stopped.
      expect(
        codes(events)[0] === 'run_tests:timeout' || (bomb.green === false && /EAGAIN|fork|resource/i.test(bomb.outputTail)),
        seen,
      ).toBe(true);
      expect(bomb).toMatchObject({ green: false });
      expect(bomb.durationMs).toBeLessThan(15_000);
      expect(memory).toMatchObject({ timedOut: false, green: false });
      expect(memory.outputTail).toMatch(/allocation failed|out of memory|heap/i);
      expect(disk).toMatchObject({ timedOut: false, green: false });
      expect(forever).toMatchObject({ timedOut: true, green: false });
      // The endless file stopped at the file-size limit (8 MiB) in the workspace.
      const written = statSync(join(dataDir, 'workspaces', job.id, 'out', 'big.bin')).size;
      expect(written).toBeLessThanOrEqual(8 * MiB);

      expect(latencies.length).toBeGreaterThan(5);
      expect(Math.max(...latencies)).toBeLessThan(5_000);
      expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(processesWith('AICT_FORK_BOMB')).toEqual([]);
      expect(processesWith('.hostile/suite.js')).toEqual([]);
      expect(markersWritten()).toEqual([]);
    });

    it(
      'ends a job whose changes are too large to checkpoint with changes_too_large, and the server stays ready',
      async () => {
        const origin = hostileOrigin('origin-bloat');
        const goal = 'fix the add bug in src/app.js [hostile-job-c]';
        fake.addScenario({
          match: { contains: goal },
          roles: {
            builder: [reply(toolUse('run_tests', { filter: 'bloat' })), reply('unreachable: the checkpoint after the test run fails')],
          },
        });
        const job = await finished((await submit(goal, origin)).body.id);
        const events = await toolEvents(job.id);
        expect(codes(events), JSON.stringify(job.error)).toEqual(['run_tests:ok']);
        const bloat = events[0].data.result.data;
        expect(bloat.outputTail).toContain('part 9: EFBIG');
        expect(job.error, bloat.outputTail).toMatchObject({
          code: 'changes_too_large',
          message: expect.stringMatching(/larger than \d+ bytes as a diff/),
        });
        expect(job.status).toBe('failed');
        expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
      },
      SLOW,
    );
  });

  describe('hostile jobs next to a normal one, through the API', () => {
    let fake: FakeModel;
    let t: TestApp;
    let dataDir: string;

    beforeAll(async () => {
      fake = await startFakeModel();
      dataDir = join(root, 'data-concurrent');
      t = await startTestApp({
        env: {
          ANTHROPIC_API_KEY: 'test-key',
          ANTHROPIC_BASE_URL: fake.url,
          DATA_DIR: dataDir,
          MODEL_MAX_RETRIES: '0',
          WORKER_CONCURRENCY: '3',
          SANDBOX_TIMEOUT_MS: '40000',
          SANDBOX_MAX_PROCESSES: String(FLOOD.limit),
          SANDBOX_DISK_MB: '32',
        },
      });
    });
    afterAll(async () => {
      await t?.close();
      await fake?.close();
    });

    const submit = async (goal: string, repo: string, filters: string[]) => {
      fake.addScenario({
        match: { contains: goal },
        roles: {
          builder: [...filters.map((filter) => reply(toolUse('run_tests', { filter }))), reply('Ran the tests; nothing to change.')],
        },
      });
      const created = await api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    };
    const finished = (id: string) =>
      waitFor(
        async () => {
          const job = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
          return ['succeeded', 'failed', 'aborted', 'waiting_human'].includes(job.status) ? job : null;
        },
        120_000,
        `job ${id} to end`,
      );
    const toolResults = async (id: string) =>
      ((await api(t.url, 'GET', `/api/events?jobId=${id}&type=tool_call&limit=1000`)).body.items as { data: any }[]).map((e) => ({
        code: `${e.data.tool}:${e.data.ok ? 'ok' : e.data.result.error.code}`,
        message: e.data.ok ? undefined : (e.data.result.error.message as string),
        data: e.data.ok ? e.data.result.data : e.data.result.error.details,
      }));
    const flood = () => processesWith(`sleep\u0000${FLOOD.seconds}`);

    it(
      'a job that floods its process limit or fills its disk quota fails only itself: a concurrent job forks and passes, and the filler finds its files as they were',
      async () => {
        const origin = buildRepo(join(root, 'origin-concurrent'), {
          '.aict.yml': 'test: [node, .hostile/suite.js, "{filter}"]\n',
          '.hostile/suite.js': suiteSource({ files: [], dirs: [], ports: [], markers }),
          'src/app.js': 'module.exports = (a, b) => a + b;\n',
        });
        const flooder = await submit('run the tests [concurrent-flood]', origin, ['flood']);
        // When the flood does not come, say what the flooding job did instead.
        await waitFor(async () => flood().length >= FLOOD.processes, 60_000, 'the flood of sleeping processes').catch(
          async (error: Error) => {
            const job = (await api(t.url, 'GET', `/api/jobs/${flooder}`)).body;
            throw new Error(
              `${error.message}: ${flood().length} sleeping; job ${JSON.stringify({ status: job.status, error: job.error })}, ${JSON.stringify(await toolResults(flooder))}`,
            );
          },
        );
        // While the flood sleeps: a normal job, and one whose tests write far past the disk quota.
        const [normal, filler] = await Promise.all([
          submit('run the tests [concurrent-normal]', origin, ['forks']),
          submit('run the tests [concurrent-fill]', origin, ['fill', 'forks']),
        ]);
        const normalJob = await finished(normal);
        const floodWhenNormalEnded = flood().length;
        const [fillerJob, flooderJob] = await Promise.all([finished(filler), finished(flooder)]);

        const normalRuns = await toolResults(normal);
        expect(
          normalRuns.map((r) => r.code),
          JSON.stringify(normalRuns),
        ).toEqual(['run_tests:ok']);
        expect(normalRuns[0].data).toMatchObject({ green: true, timedOut: false });
        expect(normalRuns[0].data.outputTail).toContain('forked 20');
        expect(normalJob.status).toBe('succeeded');
        // The normal job ran while the flood was still asleep.
        expect(floodWhenNormalEnded).toBeGreaterThanOrEqual(FLOOD.processes);

        const fillerRuns = await toolResults(filler);
        expect(
          fillerRuns.map((r) => r.code),
          JSON.stringify(fillerRuns),
        ).toEqual(['run_tests:disk_quota_exceeded', 'run_tests:ok']);
        expect(fillerRuns[0].message).toMatch(/disk quota .*past its disk quota of 32 MiB/);
        expect(fillerRuns[0].data).toMatchObject({ green: false, timedOut: false });
        expect(fillerRuns[0].data.outputTail).not.toContain('filled 512 MiB');
        // What the run wrote is gone, the job's files are as they were, and its next run is green.
        const workspace = join(dataDir, 'workspaces', filler);
        expect(existsSync(join(workspace, 'gen'))).toBe(false);
        expect(readFileSync(join(workspace, 'src', 'app.js'), 'utf8')).toBe('module.exports = (a, b) => a + b;\n');
        expect(fillerRuns[1].data).toMatchObject({ green: true });
        expect(fillerJob.status).toBe('succeeded');

        const floodRuns = await toolResults(flooder);
        expect(
          floodRuns.map((r) => r.code),
          JSON.stringify(floodRuns),
        ).toEqual(['run_tests:ok']);
        expect(floodRuns[0].data.outputTail).toContain('flood ended: 0');
        expect(flooderJob.status).toBe('succeeded');
        expect(flood()).toEqual([]);
        expect((await api(t.url, 'GET', '/api/health/ready')).status).toBe(200);
      },
      SLOW,
    );
  });
});

// Sizes of the long run, for the record in the test output.
if (LONG)
  console.info(`malicious-repo long run: ${SIZES.hugeFile / MiB} MiB file, ${SIZES.oneLine / MiB} MiB line, ${SIZES.manyFiles} files`);
