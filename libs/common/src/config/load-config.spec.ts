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

  it('speaks the Messages API by default, and an OpenAI-compatible endpoint with MODEL_PROVIDER=openai', () => {
    expect(loadConfig({}).model).toMatchObject({
      provider: 'anthropic',
      models: { mechanic: 'claude-haiku-4-5', genius: 'claude-sonnet-4-6' },
      openai: { apiKey: undefined, baseUrl: 'https://api.openai.com/v1', maxTokensParam: 'max_completion_tokens' },
    });
    const local = loadConfig({
      MODEL_PROVIDER: 'openai',
      OPENAI_API_KEY: 'none',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      MODEL_MECHANIC: 'qwen2.5-coder:14b',
    }).model;
    // One local model serves both modes unless MODEL_GENIUS names another; local servers take max_tokens.
    expect(local).toMatchObject({
      provider: 'openai',
      models: { mechanic: 'qwen2.5-coder:14b', genius: 'qwen2.5-coder:14b' },
      openai: { apiKey: 'none', baseUrl: 'http://127.0.0.1:11434/v1', maxTokensParam: 'max_tokens' },
    });
    const hosted = loadConfig({ MODEL_PROVIDER: 'openai', MODEL_MECHANIC: 'gpt-4.1-mini', MODEL_GENIUS: 'gpt-4.1' }).model;
    expect(hosted).toMatchObject({
      models: { mechanic: 'gpt-4.1-mini', genius: 'gpt-4.1' },
      openai: { maxTokensParam: 'max_completion_tokens' },
    });
    expect(
      loadConfig({
        MODEL_PROVIDER: 'openai',
        MODEL_MECHANIC: 'm',
        OPENAI_BASE_URL: 'http://vllm:8000/v1',
        OPENAI_MAX_TOKENS_PARAM: 'max_completion_tokens',
      }).model.openai.maxTokensParam,
    ).toBe('max_completion_tokens');
  });

  it('refuses an unknown provider, an OpenAI endpoint without a model name, and bad OpenAI settings', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problemsOf({ MODEL_PROVIDER: 'azure' })).toEqual([
      expect.stringMatching(/^MODEL_PROVIDER: must be one of anthropic, openai \(got "azure"\)/),
    ]);
    expect(problemsOf({ MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'k' })).toEqual([
      expect.stringMatching(/^MODEL_MECHANIC: required with MODEL_PROVIDER=openai: the model name the endpoint serves/),
    ]);
    expect(
      problemsOf({
        MODEL_PROVIDER: 'openai',
        MODEL_MECHANIC: 'm',
        OPENAI_BASE_URL: 'localhost:8000',
        OPENAI_MAX_TOKENS_PARAM: 'n_predict',
      }),
    ).toEqual([
      expect.stringMatching(/^OPENAI_BASE_URL: must be a URL starting with http:\/\/ or https:\/\//),
      expect.stringMatching(/^OPENAI_MAX_TOKENS_PARAM: must be one of max_completion_tokens, max_tokens/),
    ]);
  });

  it('prices models by MODEL_PRICES, whose cache prices default to the input price', () => {
    const prices = loadConfig({
      MODEL_PRICES: JSON.stringify({
        'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
        'qwen2.5-coder': { input: 0, output: 0 },
      }),
    }).model.prices;
    expect(prices['gpt-4.1-mini']).toEqual({ input: 0.4, output: 1.6, cacheWrite: 0.4, cacheRead: 0.1 });
    expect(prices['qwen2.5-coder']).toEqual({ input: 0, output: 0, cacheWrite: 0, cacheRead: 0 });
    expect(prices['claude-haiku']).toBeDefined();
    for (const bad of [
      '{"m": {"input": 1}}',
      '{"m": {"input": 1, "output": -2}}',
      '{"m": {"input": 1, "output": 2, "cacheRead": "cheap"}}',
      '[1]',
    ]) {
      expect(() => loadConfig({ MODEL_PRICES: bad })).toThrow(/MODEL_PRICES: must be JSON like/);
    }
  });
});
