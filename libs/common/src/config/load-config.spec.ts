import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({}, [], '/srv/app');
    expect(config).toMatchObject({ port: 3000, role: 'all', dataDir: '/srv/app/.data', database: { url: undefined } });
    expect(config.worker.modes).toEqual(['mechanic', 'genius']);
  });

  it('takes --role from the command line over ROLE', () => {
    expect(loadConfig({ ROLE: 'api' }, ['--role', 'worker']).role).toBe('worker');
    expect(loadConfig({}, ['--role=api']).role).toBe('api');
  });

  it('lists every bad variable with what is allowed', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ROLE: 'boss',
        DATABASE_URL: 'mysql://x',
        WORKER_MODES: 'mechanic,wizard',
        WORKER_LEASE_MS: '100',
        WORKER_HEARTBEAT_MS: '500',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringMatching(/^ROLE: must be one of api, worker, all \(got "boss"\)/),
      expect.stringMatching(/^WORKER_LEASE_MS: must be greater than WORKER_HEARTBEAT_MS/),
      expect.stringMatching(/^PORT: must be an integer from 0 to 65535 \(got "eighty"\)/),
      expect.stringMatching(/^DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//),
      expect.stringMatching(/^WORKER_MODES: must be a comma-separated list of mechanic, genius/),
    ]);
    expect((error as Error).message).toContain('PORT');
  });

  it('reads the per-run sandbox limits: a disk quota, the size of /tmp and the pool of uids', () => {
    expect(loadConfig({}).sandbox).toMatchObject({ diskMb: 4096, tmpMb: 512, uidPool: { first: 100_000, last: 165_535 } });
    expect(loadConfig({ SANDBOX_DISK_MB: '0', SANDBOX_TMP_MB: '64', SANDBOX_UID_POOL: ' 300000 - 300099 ' }).sandbox).toMatchObject({
      diskMb: 0,
      tmpMb: 64,
      uidPool: { first: 300_000, last: 300_099 },
    });
  });

  it('refuses a uid pool that includes root, is reversed, is not a range, or is smaller than the runs at once', () => {
    for (const pool of ['0-100', '200-100', '100000', 'abc-def', '1-4294967295']) {
      expect(() => loadConfig({ SANDBOX_UID_POOL: pool }), pool).toThrow(/SANDBOX_UID_POOL: must be a range of user ids/);
    }
    expect(() => loadConfig({ SANDBOX_UID_POOL: '100000-100003', WORKER_CONCURRENCY: '8' })).toThrow(
      /SANDBOX_UID_POOL: must hold at least WORKER_CONCURRENCY \(8\) uids/,
    );
  });
});
