// The Dockerfile and .dockerignore, checked offline: hadolint-style rules, the stages the delivery needs,
// and every COPY source of the build stages present in the repository and inside the build context.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, copyArgs, dockerignore, parseDockerfile, read, stages, tool, walk } from './delivery-helpers';

const instructions = parseDockerfile(read('Dockerfile'));
const all = stages(instructions);
const stageNames = new Set(all.map((s) => s.name).filter(Boolean));
const runtime = all[all.length - 1];
const ignored = dockerignore(read('.dockerignore'));
/** Files a copied directory may hold that the build context leaves out on purpose (rebuilt in the image). */
const ALLOWED_OUT = [/\/node_modules\//, /^apps\/web\/dist\//, /\.node$/, /\.log$/];

/** Source files under a directory: tracked by git or new and not ignored by git (all files when git is missing). */
function sourceFiles(dir: string): string[] {
  const git = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', dir], { cwd: ROOT, encoding: 'utf8' });
  if (git.status !== 0) return walk(dir);
  return git.stdout.split('\n').filter((f) => f && existsSync(join(ROOT, f)));
}
const runs = (stage: { instructions: { keyword: string; args: string }[] }) =>
  stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const stage = (name: string) => {
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};

describe('Dockerfile: hadolint-style rules', () => {
  it('pins every base image to an explicit version tag, never latest (DL3006, DL3007)', () => {
    for (const s of all) {
      if (stageNames.has(s.image)) continue;
      expect(s.image, `FROM ${s.image}`).not.toMatch(/\$/);
      const [, tag] = s.image.split('@')[0].split(':');
      expect(tag, `FROM ${s.image} has no tag`).toBeTruthy();
      expect(tag).not.toBe('latest');
      expect(tag, `FROM ${s.image}: pin at least a major.minor version`).toMatch(/^\d+\.\d+/);
    }
  });

  it('builds on node:24 (the LTS line) bookworm and runs on node:24 bookworm-slim, one Node version throughout', () => {
    const nodeImages = all.filter((s) => s.image.startsWith('node:')).map((s) => s.image);
    expect(nodeImages.length).toBeGreaterThanOrEqual(3);
    const versions = new Set(nodeImages.map((image) => image.split(':')[1].split('-')[0]));
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^24\./);
    expect(runtime.image).toMatch(/^node:24\.[\d.]+-bookworm-slim$/);
  });

  it('uses COPY, not ADD, and fetches nothing over the network in the Dockerfile itself (DL3020)', () => {
    expect(instructions.filter((i) => i.keyword === 'ADD')).toEqual([]);
    for (const args of instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)) {
      expect(args).not.toMatch(/\b(curl|wget)\b/);
      expect(args).not.toMatch(/\|\s*(sh|bash)\b/);
      expect(args).not.toMatch(/\bsudo\b/); // DL3004
      expect(args).not.toMatch(/(^|&&|;)\s*cd\s/); // DL3003: WORKDIR instead
    }
  });

  it('installs apt packages in one layer with update, -y, --no-install-recommends, and removes the lists (DL3009, DL3014, DL3015)', () => {
    const apt = instructions.filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args));
    expect(apt.length).toBeGreaterThan(0);
    for (const ins of apt) {
      expect(ins.args).toMatch(/apt-get update/);
      expect(ins.args).toMatch(/apt-get install -y/);
      expect(ins.args).toMatch(/--no-install-recommends/);
      expect(ins.args).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/);
    }
  });

  it('uses absolute WORKDIRs (DL3000) and COPY --from only names earlier stages or pinned images (DL3022)', () => {
    for (const ins of instructions.filter((i) => i.keyword === 'WORKDIR')) expect(ins.args).toMatch(/^\//);
    const seen: string[] = [];
    for (const s of all) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY')) {
        const from = copyArgs(ins).flags.from;
        if (from) expect(seen, `COPY --from=${from} in stage ${s.name}`).toContain(from);
      }
      if (s.name) seen.push(s.name);
    }
  });

  it('runs the final image as a non-root numeric user, with a health check, on 0.0.0.0', () => {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').pop();
    expect(user?.args).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric (DL3066), not 0
    const health = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(health?.args).toContain('/api/health/live');
    expect(health?.args).toContain('process.env.PORT');
    expect(health?.args).not.toMatch(/\bcurl\b/);
    const env = runtime.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/HOST=0\.0\.0\.0/);
    expect(runtime.instructions.find((i) => i.keyword === 'EXPOSE')?.args).toBe('3000');
  });

  it('has one entry point that runs api, worker or both by argument', () => {
    const entrypoint = JSON.parse(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint.slice(-2)).toEqual(['node', 'dist/apps/server/src/main.js']);
    expect(JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args)).toEqual(['--role', 'all']);
    expect(existsSync(join(ROOT, 'apps/server/src/main.ts'))).toBe(true);
  });

  it('gives the runtime git, bubblewrap and util-linux (prlimit, setpriv) for workspaces and the sandbox', () => {
    const install = runs(runtime).find((r) => r.includes('apt-get install'))!;
    for (const pkg of ['git', 'bubblewrap', 'util-linux', 'ca-certificates']) expect(install.split(/\s+/)).toContain(pkg);
  });

  it('passes hadolint when it is installed', { timeout: 60_000 }, (ctx) => {
    const hadolint = tool('hadolint');
    if (!hadolint) ctx.skip();
    const run = spawnSync(hadolint!, ['--failure-threshold', 'info', 'Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('Dockerfile: stages', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };

  it('builds the addon in a stage with the Rust toolchain and the napi CLI', () => {
    const native = stage('native');
    const rust = all.find((s) => s.image.startsWith('rust:'));
    expect(rust).toBeDefined();
    expect(native.instructions.some((i) => i.keyword === 'COPY' && copyArgs(i).flags.from === rust!.name)).toBe(true);
    expect(runs(native).some((r) => /npm run build:native/.test(r))).toBe(true);
    expect(pkg.scripts['build:native']).toMatch(/^napi build/);
    expect(pkg.devDependencies['@napi-rs/cli']).toBeDefined();
  });

  it('installs with npm ci, takes the addon from the native stage (AICT_SKIP_NATIVE_BUILD=1), builds server, CLI and SPA, prunes dev dependencies', () => {
    const build = stage('build');
    const env = build.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/AICT_SKIP_NATIVE_BUILD=1/);
    expect(read('scripts/postinstall.mjs')).toContain("process.env.AICT_SKIP_NATIVE_BUILD !== '1'");
    expect(
      build.instructions.some(
        (i) => i.keyword === 'COPY' && copyArgs(i).flags.from === 'native' && copyArgs(i).sources[0].includes('native/binding'),
      ),
    ).toBe(true);
    const script = runs(build).join(' && ');
    expect(script).toMatch(/npm ci\b/);
    expect(script).toMatch(/npm run build\b/);
    expect(script).toMatch(/npm run build:web --if-present/);
    expect(script).toMatch(/npm prune --omit=dev/);
    expect(pkg.scripts.build).toMatch(/^node scripts\/build\.mjs\b/);
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && copyArgs(i).flags.from === 'build')).toBe(true);
  });

  it('ships the SPA where the server looks for it, and the aict CLI', () => {
    const script = runs(stage('build')).join(' && ');
    expect(pkg.scripts.build.includes('build:web') || script.includes('npm run build:web')).toBe(true);
    expect(script).toMatch(/cp -a apps\/web\/dist \/out\/apps\/web\/dist/);
    expect(read('apps/server/src/web-app.ts')).toContain("'../../../../apps/web/dist'"); // from dist/apps/server/src
    expect(script).toMatch(/cp -a [^&]*\bbin\b[^&]* \/out\//);
    expect(read('bin/aict.js')).toContain('dist/apps/cli/src/main.js');
    expect(runs(runtime).join(' ')).toContain('ln -s /app/bin/aict.js /usr/local/bin/aict');
  });

  it('copies into the build stage every source tree scripts/build.mjs compiles', () => {
    const rootsLine = read('scripts/build.mjs')
      .split('\n')
      .find((l) => /^const roots = /.test(l));
    expect(rootsLine, 'scripts/build.mjs declares `const roots = [...]`').toBeDefined();
    const roots = [...rootsLine!.matchAll(/join\(root, '([^']+)'\)/g)].map((m) => m[1]);
    expect(roots).toEqual(expect.arrayContaining(['apps/server/src', 'libs', 'test/fake-model']));
    const copied = stage('build')
      .instructions.filter((i) => i.keyword === 'COPY' && !copyArgs(i).flags.from)
      .flatMap((i) => copyArgs(i).sources.map((s) => s.replace(/\/$/, '')));
    for (const root of roots) {
      if (!existsSync(join(ROOT, root))) continue; // e.g. apps/cli before the CLI lands
      expect(
        copied.some((c) => root === c || root.startsWith(`${c}/`)),
        `${root} is compiled by scripts/build.mjs but not copied`,
      ).toBe(true);
    }
  });

  it('names only existing files and directories, inside the build context, in every COPY from the context', () => {
    let checked = 0;
    for (const s of all) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY' && !copyArgs(i).flags.from)) {
        for (const source of copyArgs(ins).sources) {
          const path = source.replace(/\/$/, '');
          const where = `line ${ins.line}: COPY ${source}`;
          expect(existsSync(join(ROOT, path)), `${where}: not in the repository`).toBe(true);
          expect(ignored(path), `${where}: excluded by .dockerignore`).toBe(false);
          if (statSync(join(ROOT, path)).isDirectory()) {
            const included = walk(path).filter((f) => !ignored(f));
            expect(included.length, `${where}: every file is excluded by .dockerignore`).toBeGreaterThan(0);
            // No source file (tracked, or new and not git-ignored) under a copied directory is left out.
            const left = sourceFiles(path).filter((f) => ignored(f) && !ALLOWED_OUT.some((re) => re.test(f)));
            expect(left, `${where}: source files excluded by .dockerignore`).toEqual([]);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, local state and the locally built addon out of the context', () => {
    for (const path of [
      'node_modules',
      'node_modules/pg/package.json',
      'dist',
      'dist/apps/server/src/main.js',
      '.git',
      '.data',
      'native/target',
      'native/binding/tdln.linux-x64-gnu.node',
      'terraform/aws/main.tf',
      'apps/web/node_modules/react',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('keeps what the build needs, including the fake model the demo uses, and leaves other tests out', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'native/Cargo.toml',
      'native/binding/index.js',
      'libs/common/src/index.ts',
      'apps/server/src/main.ts',
      'test/fake-model/cli.ts',
      'scripts/build.mjs',
    ]) {
      expect(ignored(path), path).toBe(false);
    }
    expect(ignored('test/e2e/jobs-api.spec.ts')).toBe(true);
  });
});
