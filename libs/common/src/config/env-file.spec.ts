import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './load-config';
import { withEnvFile } from './env-file';

describe('withEnvFile', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'aict-env-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('adds the variables of .env in the working directory, and the real environment wins', () => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), '# settings\nPORT=4000\nLOG_LEVEL="debug"\nANTHROPIC_API_KEY=from-file\n');
    const { env, file } = withEnvFile({ PORT: '5000' }, cwd);
    expect(file).toBe(join(cwd, '.env'));
    expect(env).toMatchObject({ PORT: '5000', LOG_LEVEL: 'debug', ANTHROPIC_API_KEY: 'from-file' });
  });

  it('is a no-op without a .env file, and an error when ENV_FILE names one that is missing', () => {
    const cwd = dir();
    expect(withEnvFile({ PORT: '1' }, cwd)).toEqual({ env: { PORT: '1' }, file: null });
    expect(() => withEnvFile({ ENV_FILE: 'settings.env' }, cwd)).toThrow(ConfigError);
    writeFileSync(join(cwd, 'settings.env'), 'ROLE=api\n');
    expect(withEnvFile({ ENV_FILE: 'settings.env' }, cwd).env.ROLE).toBe('api');
  });
});
