// Builds the dashboard (Vite into apps/web/dist, with the typed API client of libs/api-client) unless
// apps/web/dist is newer than everything it is built from; `--force` rebuilds anyway.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const web = join(root, 'apps/web');
const built = join(web, 'dist/index.html');

function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const inputs = [
  join(web, 'src'),
  join(web, 'index.html'),
  join(web, 'vite.config.mts'),
  join(web, 'tsconfig.json'),
  join(root, 'libs/api-client/src'),
  join(root, 'package-lock.json'),
  new URL(import.meta.url).pathname,
];
if (!process.argv.includes('--force') && existsSync(built) && statSync(built).mtimeMs >= Math.max(...inputs.map(newest))) {
  console.log('apps/web/dist is up to date');
  process.exit(0);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
execFileSync(npm, ['exec', '--', 'vite', 'build', 'apps/web'], { cwd: root, stdio: 'inherit' });
