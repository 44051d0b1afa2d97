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

  it('escalates by asking unless ESCALATION says auto or off, and sizes mechanic caps for a real session', () => {
    const config = loadConfig({});
    expect(config.pipeline.escalation).toBe('ask');
    expect(config.jobs.modeCaps.mechanic).toMatchObject({ maxSteps: 60, maxTokens: 400_000, maxCostCents: 100 });
    expect(loadConfig({ ESCALATION: 'auto' }).pipeline.escalation).toBe('auto');
    expect(loadConfig({ ESCALATION: 'off' }).pipeline.escalation).toBe('off');
    expect(() => loadConfig({ ESCALATION: 'always' })).toThrow(/ESCALATION: must be one of auto, ask, off \(got "always"\)/);
  });

  it('reads REPO_ALLOW and RATE_LIMIT_AUTH_FAILURES, with defaults', () => {
    const config = loadConfig({}, [], '/srv/app');
    expect(config.repositories.allow).toBeUndefined();
    expect(config.http.authFailureLimit).toEqual({ limit: 20, windowSeconds: 60 });
    const set = loadConfig({ REPO_ALLOW: '/srv/repos, https://github.com/acme/*', RATE_LIMIT_AUTH_FAILURES: '5/30' }, [], '/srv/app');
    expect(set.repositories.allow).toEqual(['/srv/repos', 'https://github.com/acme/*']);
    expect(set.http.authFailureLimit).toEqual({ limit: 5, windowSeconds: 30 });
  });

  it('refuses a bad REPO_ALLOW entry and a GITHUB_REPO_MAP target the repository policy refuses', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env, [], '/srv/app');
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problemsOf({ REPO_ALLOW: '/srv/repos,srv/relative,ftp://x/y' })).toEqual([
      expect.stringMatching(/^REPO_ALLOW: "srv\/relative": not a server path prefix/),
      expect.stringMatching(/^REPO_ALLOW: "ftp:\/\/x\/y": the scheme ftp:\/\/ is not supported/),
    ]);
    expect(
      problemsOf({
        HOST: '0.0.0.0',
        REPO_ALLOW: '/srv/repos',
        GITHUB_REPO_MAP: JSON.stringify({ 'acme/shop': '/srv/repos/shop', 'acme/etc': '/etc', 'acme/meta': 'http://169.254.169.254/x' }),
      }),
    ).toEqual([
      expect.stringMatching(/^GITHUB_REPO_MAP: "acme\/etc" → Repository \/etc is not allowed/),
      expect.stringMatching(/^GITHUB_REPO_MAP: "acme\/meta" → Repository http:\/\/169\.254\.169\.254\/x is not allowed: .*link-local/),
    ]);
    // On loopback without REPO_ALLOW every server path is allowed but the service's own DATA_DIR.
    expect(problemsOf({ GITHUB_REPO_MAP: JSON.stringify({ 'acme/shop': '/srv/app/.data/workspaces/x' }) })).toEqual([
      expect.stringMatching(/^GITHUB_REPO_MAP: .*DATA_DIR/),
    ]);
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
