// Compiles apps/server, apps/cli and libs/* with SWC into dist/, rewriting the @app/* aliases of
// tsconfig.base.json to relative paths so plain `node` runs the output. Type-checking is `npm run typecheck`.
// Nothing is rebuilt when dist/ is newer than every source (`--force` rebuilds anyway), so a second
// `npm start` starts at once.
import { transformFile } from '@swc/core';
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, rmSync, existsSync, renameSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');
// Build beside dist/ and swap it in at the end, so a process starting meanwhile never sees half a tree.
const out = join(root, `.dist-build-${process.pid}`);
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));

function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// test/fake-model ships too: `npm run demo` replays a job against it, offline.
const roots = [join(root, 'apps/server/src'), join(root, 'apps/cli/src'), join(root, 'libs'), join(root, 'test/fake-model')];
const files = roots.flatMap(sources).filter((f) => !f.includes(`${join(root, 'libs')}/`) || f.includes('/src/'));
const stamp = join(dist, '.built');
// Deleted or renamed sources change the list, so the stamp holds the list as well as the time.
const listing = files
  .map((f) => relative(root, f))
  .sort()
  .join('\n');
const newestSource = Math.max(
  ...[...files, join(root, 'tsconfig.base.json'), new URL(import.meta.url).pathname].map((f) => statSync(f).mtimeMs),
);
if (
  !process.argv.includes('--force') &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >= newestSource &&
  readFileSync(stamp, 'utf8') === listing
) {
  console.log(`dist/ is up to date (${files.length} files)`);
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });

const options = {
  sourceMaps: true,
  module: { type: 'commonjs', strict: true },
  jsc: {
    target: 'es2023',
    baseUrl: root,
    paths: compilerOptions.paths,
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
};

await Promise.all(
  files.map(async (file) => {
    const { code, map } = await transformFile(file, { ...options, filename: file });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
    if (map) writeFileSync(`${target}.map`, map);
  }),
);
writeFileSync(join(out, '.built'), listing);
const old = join(root, `.dist-old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
console.log(`built ${files.length} files into dist/`);
