// Helpers of the delivery tests (Dockerfile, Terraform, Kubernetes, CI): small parsers and tool lookups,
// all offline.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Every environment variable the service reads (the keys `loadConfig` passes to its reader). */
export function configKeys(): Set<string> {
  const source = read('libs/common/src/config/load-config.ts');
  const keys = new Set<string>();
  for (const match of source.matchAll(/\br\.[a-zA-Z]+\(\s*'([A-Z][A-Z0-9_]*)'/g)) keys.add(match[1]);
  keys.add('ROLE');
  return keys;
}

/** An executable on PATH (or in ~/go/bin, where `go install` puts tools), if any. */
export function tool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(homedir(), 'go', 'bin')];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (spawnSync(candidate, ['--version'], { stdio: 'ignore', timeout: 20_000 }).error) continue;
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Files under a directory, as paths relative to the repository root, skipping dependency and build trees. */
export function walk(dir: string, skip = new Set(['node_modules', '.git', 'target', '.terraform'])): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [dir];
  return readdirSync(abs).flatMap((name) => (skip.has(name) ? [] : walk(dir ? `${dir}/${name}` : name, skip)));
}

// --- Dockerfile -------------------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  index: number;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions (continuation lines joined, comments and directives dropped). */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (!buffer && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (buffer && trimmed.startsWith('#')) continue; // comments inside a continued instruction
    if (!buffer) start = i + 1;
    if (trimmed.endsWith('\\')) {
      buffer += `${trimmed.slice(0, -1)} `;
      continue;
    }
    buffer += trimmed;
    const match = /^(\S+)\s*(.*)$/s.exec(buffer)!;
    out.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: start });
    buffer = '';
  }
  return out;
}

/** Global ARG defaults (before the first FROM), for resolving image references. */
export function globalArgs(instructions: Instruction[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') break;
    if (ins.keyword !== 'ARG') continue;
    const [key, value = ''] = ins.args.split('=');
    args[key.trim()] = value.trim();
  }
  return args;
}

export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a, b) => vars[a ?? b] ?? all);
}

export function stages(instructions: Instruction[]): Stage[] {
  const args = globalArgs(instructions);
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
      out.push({
        image: substitute(parts[0], args),
        name: asIndex >= 0 ? parts[asIndex + 1] : undefined,
        index: out.length,
        instructions: [],
      });
    } else if (out.length) {
      out[out.length - 1].instructions.push(ins);
    }
  }
  return out;
}

/** `COPY [--flags] src... dest` → flags and sources. */
export function copyArgs(ins: Instruction): { flags: Record<string, string>; sources: string[]; dest: string } {
  let rest = ins.args;
  const flags: Record<string, string> = {};
  for (;;) {
    const match = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
    if (!match) break;
    flags[match[1]] = match[2] ?? 'true';
    rest = rest.slice(match[0].length);
  }
  const parts = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
}

// --- .dockerignore ----------------------------------------------------------------------------------------

interface IgnoreRule {
  regex: RegExp;
  negate: boolean;
}

function globToRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The build context's exclusion rules, with Docker's semantics: a rule matches a path or any parent; the last matching rule wins. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules: IgnoreRule[] = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { regex: globToRegex(pattern), negate };
    });
  return (path: string) => {
    const parts = path.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.negate;
    }
    return excluded;
  };
}
