import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where the CLI talks to, with which token, and the server's TruthPack key pinned at login. */
export interface CliSettings {
  server: string;
  token?: string;
  /** The server's TruthPack verification key as fetched by `aict login`: what `aict truthpack verify` trusts. */
  truthpackKey?: { publicKey: string; keyId: string };
}

type Env = Record<string, string | undefined>;

/** ~/.config/aict/config.json (under XDG_CONFIG_HOME when set). */
export function configFile(env: Env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'aict', 'config.json');
}

/** AICT_SERVER / AICT_TOKEN override the stored login; the server defaults to http://localhost:3000. */
export function loadSettings(env: Env): CliSettings {
  let stored: Partial<CliSettings> = {};
  const file = configFile(env);
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<CliSettings>;
    } catch {
      throw new Error(`${file} is not valid JSON; run aict login again`);
    }
  }
  const server = (env.AICT_SERVER || stored.server || 'http://localhost:3000').replace(/\/+$/, '');
  // A key pinned for one server says nothing about another one named by AICT_SERVER.
  const pinned =
    stored.truthpackKey && (!env.AICT_SERVER || server === stored.server?.replace(/\/+$/, '')) ? stored.truthpackKey : undefined;
  return { server, token: env.AICT_TOKEN || stored.token, ...(pinned ? { truthpackKey: pinned } : {}) };
}

/** Stores the login readable by its owner only (mode 0600). */
export function saveSettings(env: Env, settings: CliSettings): string {
  const file = configFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
