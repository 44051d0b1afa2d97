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

  it('budgets the chat Coordinator per conversation: 50 cents and 500k tokens by default, 0 for none, never negative', () => {
    expect(loadConfig({}).chat).toEqual({ maxCostCents: 50, maxTokens: 500_000 });
    expect(loadConfig({ CHAT_MAX_COST_CENTS: '0', CHAT_MAX_TOKENS: '1000' }).chat).toEqual({ maxCostCents: 0, maxTokens: 1000 });
    expect(() => loadConfig({ CHAT_MAX_COST_CENTS: '-1' })).toThrow(/CHAT_MAX_COST_CENTS/);
    expect(() => loadConfig({ CHAT_MAX_TOKENS: 'lots' })).toThrow(/CHAT_MAX_TOKENS/);
  });
});
