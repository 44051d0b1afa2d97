import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelGateway } from '@app/agents';
import { createLogger, DomainException, loadConfig } from '@app/common';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { FakeOpenAi, startFakeOpenAi } from '../fake-model/fake-openai-server';
import { reply, toolUse } from '../fake-model/scenario';

const TOOLS = [
  { name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } },
];
const PRICES = JSON.stringify({
  'gpt-fake-mini': { input: 2, output: 8, cacheRead: 0.5 },
  'claude-fake': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
});

/** A gateway on `env` (the real SDKs), with the warnings it logs. */
function gatewayFor(env: Record<string, string>) {
  const lines: string[] = [];
  const config = loadConfig({ LOG_LEVEL: 'warn', MODEL_MAX_RETRIES: '0', MODEL_PRICES: PRICES, ...env });
  const gateway = new ModelGateway(config, createLogger('warn', { write: (line: string) => void lines.push(line) }));
  return { gateway, warnings: () => lines.map((l) => JSON.parse(l) as { msg: string; model?: string }) };
}

/**
 * The model gateway against both fake APIs: one request shape in (the Messages API's transcript),
 * one answer shape out, whichever provider MODEL_PROVIDER names; usage and prices from what each reports.
 */
describe('the model gateway over either provider', () => {
  let anthropic: FakeModel;
  let openai: FakeOpenAi;

  beforeAll(async () => {
    anthropic = await startFakeModel();
    openai = await startFakeOpenAi();
  });
  afterAll(async () => {
    await anthropic?.close();
    await openai?.close();
  });

  const envOf = (provider: 'anthropic' | 'openai', model: string): Record<string, string> =>
    provider === 'anthropic'
      ? { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: anthropic.url, MODEL_MECHANIC: model }
      : { MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'k', OPENAI_BASE_URL: openai.url, MODEL_MECHANIC: model };

  it.each(['anthropic', 'openai'] as const)(
    'gives the same answer for the same scripted turn through %s, forced tool call included',
    async (provider) => {
      const goal = `GW-SAME-${provider}`;
      const scenario = {
        match: { contains: goal },
        roles: { intake: [reply('Reading first.', toolUse('read_file', { path: 'src/a.ts', lines: [1, 20] }))] },
      };
      anthropic.addScenario(scenario);
      openai.addScenario(scenario);
      const { gateway } = gatewayFor(envOf(provider, provider === 'openai' ? 'gpt-fake-mini' : 'claude-fake'));
      expect(gateway.configured).toBe(true);
      const result = await gateway.call({
        mode: 'mechanic',
        system: 'Role: intake',
        tools: TOOLS,
        messages: [{ role: 'user', content: goal }],
        toolChoice: { type: 'tool', name: 'read_file' },
        userId: 'job-1',
      });
      expect(result.message.stop_reason).toBe('tool_use');
      expect(result.message.content).toEqual([
        { type: 'text', text: 'Reading first.' },
        { type: 'tool_use', id: expect.any(String), name: 'read_file', input: { path: 'src/a.ts', lines: [1, 20] } },
      ]);
      const record = provider === 'openai' ? openai.completionRequests().at(-1)! : anthropic.messageRequests().at(-1)!;
      expect(result.requestId).toBe(record.requestId);
      expect(result.totalTokens).toBeGreaterThan(0);
      if (provider === 'openai') {
        const sent = openai.completionRequests().at(-1)!;
        expect(sent.body).toMatchObject({
          tool_choice: { type: 'function', function: { name: 'read_file' } },
          user: 'job-1',
          stream: true,
        });
        expect(result.totalTokens).toBe(sent.usage!.total_tokens);
      }
    },
  );

  it('prices the prompt tokens the server read from its cache at the cache-read price', async () => {
    const goal = 'GW-CACHE';
    openai.addScenario({ match: { contains: goal }, roles: { builder: [reply(toolUse('read_file', { path: 'a.ts' })), reply('Done.')] } });
    const { gateway } = gatewayFor(envOf('openai', 'gpt-fake-mini'));
    const request = { mode: 'mechanic' as const, system: 'Role: builder', tools: TOOLS };
    const first = await gateway.call({ ...request, messages: [{ role: 'user', content: goal }] });
    const call = first.message.content[0] as { id: string; name: string; input: unknown; type: 'tool_use' };
    const second = await gateway.call({
      ...request,
      messages: [
        { role: 'user', content: goal },
        { role: 'assistant', content: first.message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'export const a = 1;' }] },
      ],
    });
    const reported = openai.completionRequests().at(-1)!.usage!;
    expect(reported.prompt_tokens_details.cached_tokens).toBeGreaterThan(0);
    expect(second.usage).toEqual({
      inputTokens: reported.prompt_tokens - reported.prompt_tokens_details.cached_tokens,
      outputTokens: reported.completion_tokens,
      cacheCreationTokens: 0,
      cacheReadTokens: reported.prompt_tokens_details.cached_tokens,
    });
    const usd = (second.usage.inputTokens * 2 + second.usage.cacheReadTokens * 0.5 + second.usage.outputTokens * 8) / 1_000_000;
    expect(second.costCents).toBeCloseTo(usd * 100, 4);
  });

  it.each(['anthropic', 'openai'] as const)(
    'charges a model without a price nothing through %s, and warns about it once',
    async (provider) => {
      const goal = `GW-UNPRICED-${provider}`;
      const scenario = { match: { contains: goal }, default: [reply('one'), reply('two')] };
      anthropic.addScenario(scenario);
      openai.addScenario(scenario);
      const { gateway, warnings } = gatewayFor(envOf(provider, 'my-local-model'));
      const first = await gateway.call({ mode: 'mechanic', system: 'Role: chat', tools: [], messages: [{ role: 'user', content: goal }] });
      const second = await gateway.call({
        mode: 'mechanic',
        system: 'Role: chat',
        tools: [],
        messages: [
          { role: 'user', content: goal },
          { role: 'assistant', content: 'one' },
          { role: 'user', content: 'and?' },
        ],
      });
      expect([first.costCents, second.costCents]).toEqual([0, 0]);
      expect(first.totalTokens).toBeGreaterThan(0);
      expect(gateway.estimateCostCents('mechanic', 1000, 1000)).toBe(0);
      const unpriced = warnings().filter((w) => /no price is configured/.test(w.msg));
      expect(unpriced).toEqual([
        expect.objectContaining({ model: 'my-local-model', msg: expect.stringContaining('add it to MODEL_PRICES') }),
      ]);
    },
  );

  it('estimates the tokens of a server that reports no usage, and warns about it once', async () => {
    const bare = await startFakeOpenAi({ reportUsage: false });
    try {
      bare.addScenario({ match: { contains: 'GW-NO-USAGE' }, default: [reply('a'.repeat(400)), reply('b')] });
      const { gateway, warnings } = gatewayFor({
        MODEL_PROVIDER: 'openai',
        OPENAI_API_KEY: 'k',
        OPENAI_BASE_URL: bare.url,
        MODEL_MECHANIC: 'gpt-fake-mini',
      });
      const result = await gateway.call({
        mode: 'mechanic',
        system: 'Role: chat',
        tools: [],
        messages: [{ role: 'user', content: 'GW-NO-USAGE' }],
      });
      await gateway.call({
        mode: 'mechanic',
        system: 'Role: chat',
        tools: [],
        messages: [
          { role: 'user', content: 'GW-NO-USAGE' },
          { role: 'assistant', content: 'a' },
          { role: 'user', content: 'more' },
        ],
      });
      expect(result.usage.outputTokens).toBeGreaterThanOrEqual(100);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.costCents).toBeGreaterThan(0);
      expect(warnings().filter((w) => /reported no token usage/.test(w.msg))).toHaveLength(1);
    } finally {
      await bare.close();
    }
  });

  it.each(['anthropic', 'openai'] as const)(
    'sends a past tool call whose arguments were not JSON back as {} through %s, with its tool result as it was',
    async (provider) => {
      const goal = `GW-BAD-ARGS-${provider}`;
      const scenario = { match: { contains: goal }, roles: { builder: [reply('unused'), reply('Trying again.')] } };
      anthropic.addScenario(scenario);
      openai.addScenario(scenario);
      const { gateway } = gatewayFor(envOf(provider, provider === 'openai' ? 'gpt-fake-mini' : 'claude-fake'));
      const result = await gateway.call({
        mode: 'mechanic',
        system: 'Role: builder',
        tools: TOOLS,
        messages: [
          { role: 'user', content: goal },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'call_bad', name: 'read_file', input: '{"path": "a.ts"' }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'call_bad', content: 'ERROR invalid_input: not a JSON object', is_error: true }],
          },
        ],
      });
      expect(result.message.content).toEqual([{ type: 'text', text: 'Trying again.' }]);
      const sent =
        provider === 'openai'
          ? openai.completionRequests().at(-1)!.view!.messages![1]
          : (anthropic.messageRequests().at(-1)!.body!.messages![1] as { content: unknown });
      expect(sent.content).toEqual([expect.objectContaining({ type: 'tool_use', id: 'call_bad', input: {} })]);
    },
  );

  it.each(['anthropic', 'openai'] as const)(
    'keeps the %s SDK off the console whatever its log variable says, and sends only the configured key, no ids from the environment',
    async (provider) => {
      const goal = `GW-SDK-ENV-${provider}`;
      const scenario = { match: { contains: goal }, default: [reply('Fine.')] };
      anthropic.addScenario(scenario);
      openai.addScenario(scenario);
      // What the SDKs would read on their own: a debug log of every request (to the console), other credentials, ids.
      const foreign = {
        ANTHROPIC_LOG: 'debug',
        ANTHROPIC_AUTH_TOKEN: 'token-from-env',
        OPENAI_LOG: 'debug',
        OPENAI_ADMIN_KEY: 'sk-admin-from-env',
        OPENAI_ORG_ID: 'org-env',
        OPENAI_PROJECT_ID: 'proj-env',
      };
      const saved = Object.fromEntries(Object.keys(foreign).map((k) => [k, process.env[k]]));
      const consoleCalls = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        vi.spyOn(console, level).mockImplementation(() => undefined),
      );
      Object.assign(process.env, foreign);
      try {
        const { gateway } = gatewayFor(envOf(provider, provider === 'openai' ? 'gpt-fake-mini' : 'claude-fake'));
        const result = await gateway.call({
          mode: 'mechanic',
          system: 'Role: chat',
          tools: [],
          messages: [{ role: 'user', content: goal }],
        });
        expect(result.message.content).toEqual([{ type: 'text', text: 'Fine.' }]);
        const sent = provider === 'openai' ? openai.completionRequests().at(-1)! : anthropic.messageRequests().at(-1)!;
        expect(sent.apiKey).toBe('k');
        const leaked = Object.values(foreign).filter((value) => Object.values(sent.headers).some((header) => header.includes(value)));
        expect(leaked).toEqual([]);
        expect(sent.headers).not.toHaveProperty('openai-organization');
        expect(sent.headers).not.toHaveProperty('openai-project');
        for (const spy of consoleCalls) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of consoleCalls) spy.mockRestore();
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    },
  );

  it('is not configured without OPENAI_API_KEY, and says what to set', async () => {
    const { gateway } = gatewayFor({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: openai.url, MODEL_MECHANIC: 'gpt-fake-mini' });
    expect(gateway.configured).toBe(false);
    const error = await gateway
      .call({ mode: 'mechanic', system: 's', tools: [], messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ code: 'model_not_configured', message: expect.stringContaining('OPENAI_API_KEY') });
  });
});
