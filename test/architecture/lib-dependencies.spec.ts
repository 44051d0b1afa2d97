import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const libsDir = join(root, 'libs');
const appsDir = join(root, 'apps');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?'([^']+)'/g)].map((m) => m[1]);
}

const libs = readdirSync(libsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** For each lib, the other libs its sources import by alias. */
function libGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const lib of libs) {
    const uses = new Set<string>();
    for (const file of sources(join(libsDir, lib, 'src'))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const alias = /^@app\/([a-z-]+)$/.exec(spec)?.[1];
        if (alias && alias !== lib) uses.add(alias);
      }
    }
    graph.set(lib, uses);
  }
  return graph;
}

describe('library dependencies', () => {
  it('has no cycle between libraries: no lib depends, directly or through others, on a lib that depends on it', () => {
    const graph = libGraph();
    const cycles: string[] = [];
    const visit = (lib: string, path: string[]) => {
      for (const next of graph.get(lib) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(' → '));
        else if (!path.includes(next)) visit(next, [...path, next]);
      }
    };
    for (const lib of libs) visit(lib, [lib]);
    expect(cycles).toEqual([]);
  });

  it('imports other libraries only by their alias, never by a relative path into them or into an app', () => {
    const crossings: string[] = [];
    for (const lib of libs) {
      const own = join(libsDir, lib);
      for (const file of sources(join(own, 'src'))) {
        for (const spec of specifiers(readFileSync(file, 'utf8'))) {
          const target = spec.startsWith('.') ? resolve(file, '..', spec) : undefined;
          const intoOther =
            target && !target.startsWith(`${own}/`) && (target.startsWith(`${libsDir}/`) || target.startsWith(`${appsDir}/`));
          if (intoOther) crossings.push(`${relative(root, file)}: ${spec}`);
          if (spec.startsWith('@app/') && !libs.includes(spec.slice('@app/'.length))) crossings.push(`${relative(root, file)}: ${spec}`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });
});
