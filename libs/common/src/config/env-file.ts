import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './load-config';

type Env = Record<string, string | undefined>;

/**
 * The environment with the variables of a `.env` file added (`ENV_FILE`, else `.env` in the
 * working directory, if there is one). A variable set in the real environment always wins over
 * the file; a missing default `.env` is fine, a missing `ENV_FILE` is a configuration error.
 */
export function withEnvFile(env: Env, cwd = process.cwd()): { env: Env; file: string | null } {
  const named = env.ENV_FILE;
  const file = resolve(cwd, named ?? '.env');
  if (!existsSync(file)) {
    if (named) throw new ConfigError([`ENV_FILE: ${file} does not exist`]);
    return { env, file: null };
  }
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new ConfigError([`${named ? 'ENV_FILE' : '.env'}: ${file} cannot be read: ${(error as Error).message}`]);
  }
  const merged: Env = { ...parsed };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return { env: merged, file };
}
