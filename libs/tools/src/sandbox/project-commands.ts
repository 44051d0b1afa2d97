import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ToolsErrorCode, ToolsException } from '../tools.errors';

/** The commands a repository is checked with, each an argument vector. */
export interface ProjectCommands {
  test?: string[];
  lint?: string[];
  /** Where they came from: `.aict.yml` or the detected ecosystem. */
  source: '.aict.yml' | 'npm' | 'pytest' | 'cargo' | 'go' | 'none';
}

/**
 * Reads `.aict.yml` (`test: [argv...]`, `lint: [argv...]`), else detects npm scripts, pytest, cargo
 * or go. A malformed `.aict.yml` is an `invalid_input` error, not a silent fallback.
 */
export function detectProjectCommands(root: string): ProjectCommands {
  for (const name of ['.aict.yml', '.aict.yaml']) {
    const file = join(root, name);
    if (existsSync(file)) return fromConfig(readFileSync(file, 'utf8'), name);
  }
  const pkg = readJson(join(root, 'package.json'));
  if (pkg) {
    const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
    return {
      source: 'npm',
      ...(typeof scripts.test === 'string' && { test: ['npm', 'test'] }),
      ...(typeof scripts.lint === 'string' && { lint: ['npm', 'run', 'lint'] }),
    };
  }
  if (['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'conftest.py'].some((f) => existsSync(join(root, f)))) {
    const hasRuff = existsSync(join(root, 'ruff.toml')) || /\[tool\.ruff/.test(safeRead(join(root, 'pyproject.toml')));
    return { source: 'pytest', test: ['python3', '-m', 'pytest', '-q'], ...(hasRuff && { lint: ['ruff', 'check', '.'] }) };
  }
  if (existsSync(join(root, 'Cargo.toml'))) {
    return { source: 'cargo', test: ['cargo', 'test', '--offline'], lint: ['cargo', 'clippy', '--offline', '--', '-D', 'warnings'] };
  }
  if (existsSync(join(root, 'go.mod'))) return { source: 'go', test: ['go', 'test', '-v', './...'], lint: ['go', 'vet', './...'] };
  return { source: 'none' };
}

/** The test argv with a filter: `{filter}` placeholders are replaced, else the filter is passed the runner's way. */
export function withTestFilter(commands: ProjectCommands, filter: string | undefined): string[] | undefined {
  const argv = commands.test;
  if (!argv || !filter) return argv;
  if (argv.some((arg) => arg.includes('{filter}'))) return argv.map((arg) => arg.replaceAll('{filter}', filter));
  switch (commands.source) {
    case 'npm':
      return [...argv, '--', filter];
    case 'pytest':
      return [...argv, '-k', filter];
    case 'go':
      return [...argv, '-run', filter];
    default:
      return [...argv, filter];
  }
}

/** The lint argv asking for fixes. */
export function withLintFix(commands: ProjectCommands): string[] | undefined {
  const argv = commands.lint;
  if (!argv) return argv;
  switch (commands.source) {
    case 'npm':
      return [...argv, '--', '--fix'];
    case 'cargo':
      return ['cargo', 'clippy', '--offline', '--fix', '--allow-dirty', '--allow-no-vcs'];
    case 'go':
      return argv;
    default:
      return [...argv, '--fix'];
  }
}

function fromConfig(text: string, name: string): ProjectCommands {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new ToolsException(ToolsErrorCode.InvalidInput, `${name} is not valid YAML: ${(error as Error).message}`);
  }
  const config = (parsed ?? {}) as Record<string, unknown>;
  const argv = (key: 'test' | 'lint'): string[] | undefined => {
    const value = config[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.length || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new ToolsException(ToolsErrorCode.InvalidInput, `${name}: \`${key}\` must be a list of arguments, e.g. ${key}: [npm, test]`);
    }
    return value.map(String);
  };
  return { source: '.aict.yml', test: argv('test'), lint: argv('lint') };
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
