import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ToolsErrorCode } from '../tools.errors';
import { DomainException } from '@app/common';

/** The commands a repository is checked with, each an argument vector. */
export interface ProjectCommands {
  test?: string[];
  lint?: string[];
  /** Where they came from: `.aict.yml` or the detected ecosystem. */
  source: '.aict.yml' | 'npm' | 'pytest' | 'cargo' | 'go' | 'none';
}

/** The largest config file read (`.aict.yml`, `package.json`, `pyproject.toml`). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads `.aict.yml` (`test: [argv...]`, `lint: [argv...]`), else detects npm scripts, pytest, cargo
 * or go. A malformed `.aict.yml` is an `invalid_input` error, not a silent fallback. The files are
 * the repository's (and its tests' — they can replace them): only regular files of at most 1 MiB
 * are read, never through a symlink, a FIFO or a device.
 */
export function detectProjectCommands(root: string): ProjectCommands {
  for (const name of ['.aict.yml', '.aict.yaml']) {
    const file = join(root, name);
    if (!exists(file)) continue;
    const text = readRegular(file);
    if (text === undefined) {
      throw new DomainException(
        ToolsErrorCode.InvalidInput,
        `${name} must be a regular file of at most ${MAX_CONFIG_BYTES} bytes (not a symlink)`,
      );
    }
    return fromConfig(text, name);
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
  if (['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'conftest.py'].some((f) => exists(join(root, f)))) {
    const hasRuff = exists(join(root, 'ruff.toml')) || /\[tool\.ruff/.test(readRegular(join(root, 'pyproject.toml')) ?? '');
    return { source: 'pytest', test: ['python3', '-m', 'pytest', '-q'], ...(hasRuff && { lint: ['ruff', 'check', '.'] }) };
  }
  if (exists(join(root, 'Cargo.toml'))) {
    return { source: 'cargo', test: ['cargo', 'test', '--offline'], lint: ['cargo', 'clippy', '--offline', '--', '-D', 'warnings'] };
  }
  if (exists(join(root, 'go.mod'))) return { source: 'go', test: ['go', 'test', '-v', './...'], lint: ['go', 'vet', './...'] };
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
    throw new DomainException(ToolsErrorCode.InvalidInput, `${name} is not valid YAML: ${(error as Error).message}`);
  }
  const config = (parsed ?? {}) as Record<string, unknown>;
  const argv = (key: 'test' | 'lint'): string[] | undefined => {
    const value = config[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.length || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new DomainException(ToolsErrorCode.InvalidInput, `${name}: \`${key}\` must be a list of arguments, e.g. ${key}: [npm, test]`);
    }
    return value.map(String);
  };
  return { source: '.aict.yml', test: argv('test'), lint: argv('lint') };
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!exists(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readRegular(file) ?? '');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Whether a directory entry exists, without following a symlink. */
function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The text of a regular file of at most MAX_CONFIG_BYTES, opened without following a symlink; else undefined. */
function readRegular(file: string): string | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO left by a test must not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_CONFIG_BYTES) return undefined;
    const buffer = Buffer.alloc(info.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
