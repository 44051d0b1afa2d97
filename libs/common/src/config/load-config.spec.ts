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

  it('refuses a weak TRUTHPACK_SIGNING_KEY, naming the variable, and takes a random one', () => {
    for (const weak of ['0'.repeat(64), 'ab'.repeat(32), 'deadbeef'.repeat(8)]) {
      expect(() => loadConfig({ TRUTHPACK_SIGNING_KEY: weak })).toThrow(/TRUTHPACK_SIGNING_KEY: is a weak key/);
    }
    expect(() => loadConfig({ TRUTHPACK_SIGNING_KEY: 'REPLACE-ME' })).toThrow(/TRUTHPACK_SIGNING_KEY: must be 64 hex characters/);
    const random = '9f3b6c1de07a4852b1c9e6f03d7a2b58c4e19f6a0b3d7e2c5a8f1b4d6e9c0a37';
    expect(loadConfig({ TRUTHPACK_SIGNING_KEY: random.toUpperCase() }).tdln.signingKey).toBe(random);
  });

  it('trusts GitHub owners, members and collaborators by default, and reads other associations and logins', () => {
    const defaults = loadConfig({}).webhooks;
    expect(defaults.githubTrustedAssociations).toEqual(['OWNER', 'MEMBER', 'COLLABORATOR']);
    expect(defaults.githubTrustedLogins).toEqual([]);
    const set = loadConfig({ GITHUB_TRUSTED_ASSOCIATIONS: 'OWNER', GITHUB_TRUSTED_LOGINS: 'Octocat, release-bot[bot]' }).webhooks;
    expect(set.githubTrustedAssociations).toEqual(['OWNER']);
    expect(set.githubTrustedLogins).toEqual(['octocat', 'release-bot[bot]']);
    expect(() => loadConfig({ GITHUB_TRUSTED_ASSOCIATIONS: 'OWNER,EVERYONE', GITHUB_TRUSTED_LOGINS: 'no spaces allowed' })).toThrow(
      /GITHUB_TRUSTED_ASSOCIATIONS: must be a comma-separated list of OWNER, MEMBER[\s\S]*GITHUB_TRUSTED_LOGINS: must be a comma-separated list of GitHub logins/,
    );
  });

  it('gives webhook jobs their own caps, never above the server maxima', () => {
    expect(loadConfig({}).webhooks.caps).toEqual({ maxSteps: 60, maxTokens: 1_000_000, maxCostCents: 300, maxWallMs: 1_800_000 });
    expect(loadConfig({ MAX_JOB_COST_CENTS: '200' }).webhooks.caps.maxCostCents).toBe(200);
    expect(loadConfig({ WEBHOOK_MAX_STEPS: '10' }).webhooks.caps.maxSteps).toBe(10);
    expect(() => loadConfig({ WEBHOOK_MAX_TOKENS: '20000000' })).toThrow(
      /WEBHOOK_MAX_TOKENS: must not exceed MAX_JOB_TOKENS \(20000000 > 10000000\)/,
    );
  });
});
