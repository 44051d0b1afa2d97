import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerRegistry } from '@nestjs/schedule';
import { WorkerService } from '@app/worker';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { flaky, overloaded, rateLimited, reply, text, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';
import { createTestDatabase } from '../support/test-database';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
const GOOD_PATCH = `--- a/src/calc.js
+++ b/src/calc.js
@@ -8,4 +8,4 @@
 /** Subtracts b from a. */
 function subtract(a, b) {
-  return a + b;
+  return a - b;
 }
`;
const BAD_PATCH = GOOD_PATCH.replace('-  return a + b;', '-  return a ++ b;');

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

describe('an agent working a job end to end (real SDK, fake Messages API, real git and sandbox)', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  let n = 0;
  const bwrap = (() => {
    try {
      execFileSync('bwrap', ['--version']);
      return true;
    } catch {
      return false;
    }
  })();

  beforeAll(async () => {
    if (!bwrap) console.warn('bubblewrap is missing: these tests run with SANDBOX=none (apt-get install bubblewrap to sandbox them)');
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-agent-'));
    chmodSync(root, 0o777);
    t = await startTestApp({
      env: {
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: fake.url,
        DATA_DIR: join(root, 'data'),
        MODEL_MAX_RETRIES: '3',
        // A cap ends the job here; what escalation does instead is tested in escalation.spec.ts.
        ESCALATION: 'off',
        ...(bwrap ? {} : { SANDBOX: 'none' }),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A fresh calc-js repository and a goal naming a unique case, so each test's scenario matches only its job. */
  const setup = async () => {
    const name = `case-${++n}`;
    const repo = await makeRepo('calc-js', join(root, name));
    return { repo, goal: `fix the subtract bug in src/calc.js [${name}]` };
  };
  // role builder: one Builder agent works the job (the team pipeline has its own tests).
  const submit = (goal: string, repo: string, extra: Record<string, unknown> = {}) =>
    api(t.url, 'POST', '/api/jobs', { goal, repo, role: 'builder', ...extra });
  const finished = (id: string) =>
    waitFor(
      async () => {
        const job = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
        return ['succeeded', 'failed', 'aborted', 'waiting_human'].includes(job.status) ? job : null;
      },
      60_000,
      `job ${id} to end`,
    );
  const toolCalls = async (id: string) =>
    (await api(t.url, 'GET', `/api/events?jobId=${id}&type=tool_call&limit=1000`)).body.items.map(
      (e: any) => `${e.data.tool}:${e.data.ok ? 'ok' : e.data.result.error.code}`,
    );

  it('fixes a bug: reads, edits, runs the tests, commits on aict/<job>, pushes the branch back and serves the patch', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply('Let me look at the code.', toolUse('read_file', { path: 'src/calc.js' })),
          reply(toolUse('edit_file', FIX)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract: take b from a' })),
          reply('Fixed subtract in src/calc.js; the 3 tests pass.'),
        ],
      },
    });
    const created = await submit(goal, repo);
    expect(created.status).toBe(201);
    const job = await finished(created.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result).toMatchObject({ branch: `aict/${job.id}`, pushed: true, filesChanged: ['src/calc.js'], tests: { passed: true } });
    expect(job.usage.steps).toBe(4);
    expect(job.usage.tokens).toBeGreaterThan(0);
    expect(job.usage.costCents).toBeGreaterThan(0);

    // The branch is in the origin repository, and its tests pass there.
    const sha = git(repo, 'rev-parse', `aict/${job.id}`);
    expect(sha).toBe(job.result.commit);
    expect(git(repo, 'log', '-1', '--format=%an <%ae>%n%B', sha)).toMatch(/AI Coding Team[\s\S]*Fix subtract[\s\S]*AICT-Job: /);
    git(repo, 'checkout', '--quiet', `aict/${job.id}`);
    execFileSync('node', ['--test'], { cwd: repo, stdio: 'pipe' });
    git(repo, 'checkout', '--quiet', 'main');

    const diff = await fetch(`${t.url}/api/jobs/${job.id}/diff`);
    expect(diff.headers.get('content-type')).toMatch(/text\/x-diff/);
    expect(await diff.text()).toContain('+  return a - b;');

    // Every call and result is an event; the model saw the cacheable prefix reused.
    expect(await toolCalls(job.id)).toEqual(['read_file:ok', 'edit_file:ok', 'run_tests:ok', 'commit_changes:ok']);
    const requests = fake.messageRequests().filter((r) => r.scenario && requestTextHas(r, goal));
    expect(requests.length).toBe(5);
    expect(requests.slice(1).every((r) => (r.usage?.cache_read_input_tokens ?? 0) > 0)).toBe(true);
    expect(requests[0].apiKey).toBe('test-key');
    expect((await api(t.url, 'GET', '/api/ledger/verify')).body.ok).toBe(true);
  });

  it('recovers from a patch that does not apply, and is refused a commit before the tests pass', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply(toolUse('apply_patch', { patch: BAD_PATCH })),
          reply(toolUse('apply_patch', { patch: GOOD_PATCH })),
          reply(toolUse('commit_changes', { message: 'too early' })),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Done.'),
        ],
      },
    });
    const job = await finished((await submit(goal, repo)).body.id);
    expect(job.status).toBe('succeeded');
    expect(await toolCalls(job.id)).toEqual([
      'apply_patch:patch_failed',
      'apply_patch:ok',
      'commit_changes:tests_not_green',
      'run_tests:ok',
      'commit_changes:ok',
    ]);
  });

  it('runs failing tests, fixes the code, and commits once they pass', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply(toolUse('run_tests', {})),
          reply(toolUse('edit_file', FIX)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix' })),
          reply('Done.'),
        ],
      },
    });
    const job = await finished((await submit(goal, repo)).body.id);
    expect(job.status).toBe('succeeded');
    const results = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=tool_call`)).body.items
      .filter((e: any) => e.data.tool === 'run_tests')
      .map((e: any) => e.data.result.data);
    expect(results.map((r: any) => [r.passed, r.failed])).toEqual([
      [2, 1],
      [3, 0],
    ]);
  });

  it('retries 429 and 529 answers and still finishes', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          flaky(1, rateLimited(0).error, reply(toolUse('edit_file', FIX))),
          flaky(1, overloaded().error, reply(toolUse('run_tests', {}))),
          reply(toolUse('commit_changes', { message: 'Fix' })),
          reply('Done.'),
        ],
      },
    });
    const job = await finished((await submit(goal, repo)).body.id);
    expect(job.status).toBe('succeeded');
    const outcomes = fake
      .messageRequests()
      .filter((r) => requestTextHas(r, goal))
      .map((r) => r.status ?? 200);
    expect(outcomes.filter((s) => s === 429)).toHaveLength(1);
    expect(outcomes.filter((s) => s === 529)).toHaveLength(1);
  });

  it('gives up with model_unavailable after the retries when the model keeps failing, and leaves no budget reserved', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({ match: { contains: goal }, roles: { builder: [{ error: { status: 500, type: 'api_error', message: 'boom' } }] } });
    const job = await finished((await submit(goal, repo)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('model_unavailable');
    const attempts = fake.messageRequests().filter((r) => requestTextHas(r, goal));
    expect(attempts).toHaveLength(1 + 3);
    const [row] = await t.dataSource.query('SELECT reserved_tokens, reserved_cost_cents, used_tokens FROM jobs WHERE id = $1', [job.id]);
    expect([Number(row.reserved_tokens), Number(row.reserved_cost_cents), Number(row.used_tokens)]).toEqual([0, 0, 0]);
  });

  it.each([
    ['step_limit', { maxSteps: 2 }],
    ['token_limit', { maxTokens: 3_000 }],
    ['cost_limit', { maxCostCents: 1 }],
  ])('stops at the %s cap with that code and a warning before it', async (code, caps) => {
    const { repo, goal } = await setup();
    const readMany = Array.from({ length: 30 }, () => reply(toolUse('read_file', { path: 'src/calc.js' })));
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: readMany.map((r, i) => ({
          ...r,
          usage: code === 'cost_limit' ? { output_tokens: 30_000 } : undefined,
          content: [...r.content, text(`step ${i}`)],
        })),
      },
    });
    const job = await finished((await submit(goal, repo, caps)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe(code);
    if (code === 'step_limit') expect(job.usage.steps).toBe(2);
    if (code === 'token_limit') expect(job.usage.tokens).toBeLessThanOrEqual(3_000 + 1_500);
  });

  it('stops at the time cap', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: { builder: [{ ...reply(toolUse('read_file', { path: 'src/calc.js' })), delayMs: 1_500 }, reply('late')] },
    });
    const job = await finished((await submit(goal, repo, { maxWallMs: 1_000 })).body.id);
    expect(job.error?.code).toBe('time_limit');
  });

  it('stops an agent that repeats the same failing call with agent_stuck', async () => {
    const { repo, goal } = await setup();
    const same = reply(toolUse('read_file', { path: 'src/nope.js' }));
    fake.addScenario({ match: { contains: goal }, roles: { builder: [same, same, same, same, same] } });
    const job = await finished((await submit(goal, repo)).body.id);
    expect(job.error.code).toBe('agent_stuck');
    expect(await toolCalls(job.id)).toEqual(['read_file:file_not_found', 'read_file:file_not_found', 'read_file:file_not_found']);
  });

  it('is cancelled in the middle of a model call', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: { builder: [reply(toolUse('read_file', { path: 'src/calc.js' })), { ...reply('slow'), delayMs: 20_000 }] },
    });
    const id = (await submit(goal, repo)).body.id;
    await waitFor(async () => (await toolCalls(id)).length === 1, 20_000, 'first tool call');
    await api(t.url, 'POST', `/api/jobs/${id}/cancel`);
    const job = await finished(id);
    expect(job.status).toBe('aborted');
  });

  it('fails at once with model_not_configured when no model key is set', async () => {
    const bare = await startTestApp({ env: { DATA_DIR: join(root, 'bare'), ...(bwrap ? {} : { SANDBOX: 'none' }) } });
    try {
      const { repo, goal } = await setup();
      const id = (await api(bare.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' })).body.id;
      const job = await waitFor(
        async () => {
          const j = (await api(bare.url, 'GET', `/api/jobs/${id}`)).body;
          return j.status === 'failed' ? j : null;
        },
        10_000,
        'failure',
      );
      expect(job.error.code).toBe('model_not_configured');
    } finally {
      await bare.close();
    }
  });

  it('resumes a job on another worker from its checkpoint when the first worker dies mid-job', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        builder: [
          reply(toolUse('edit_file', FIX)),
          // The first worker is in this slow call when it "dies"; the second asks for the same turn from the checkpoint.
          { ...reply(toolUse('run_tests', {})), delayMs: 6_000 },
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Done.'),
        ],
      },
    });
    const databaseUrl = await createTestDatabase();
    const env = {
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: fake.url,
      DATA_DIR: join(root, 'w1'),
      MODEL_MAX_RETRIES: '0',
      WORKER_CONCURRENCY: '1',
      ...(bwrap ? {} : { SANDBOX: 'none' }),
    };
    const first = await startTestApp({ databaseUrl, env });
    let second: TestApp | undefined;
    try {
      const id = (await api(first.url, 'POST', '/api/jobs', { goal, repo, role: 'builder' })).body.id;
      await waitFor(
        async () => (await api(first.url, 'GET', `/api/events?jobId=${id}&type=tool_call`)).body.items.length === 1,
        20_000,
        'the edit',
      );
      // The first worker freezes: no more heartbeats, and it will never finish.
      const scheduler = first.get<SchedulerRegistry>(SchedulerRegistry);
      const workerId = first.get<WorkerService>(WorkerService).workerId;
      for (const name of scheduler.getIntervals().filter((n) => n.endsWith(workerId))) scheduler.deleteInterval(name);
      second = await startTestApp({ databaseUrl, env: { ...env, DATA_DIR: join(root, 'w2') } });
      const job = await waitFor(
        async () => {
          const j = (await api(second!.url, 'GET', `/api/jobs/${id}`)).body;
          return ['succeeded', 'failed'].includes(j.status) ? j : null;
        },
        40_000,
        'the job to finish on the second worker',
      );
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.attempts).toBe(1);
      const calls = (await api(second.url, 'GET', `/api/events?jobId=${id}&type=tool_call`)).body.items;
      const by = (w: string) => calls.filter((e: any) => e.data.workerId === w).map((e: any) => e.data.tool);
      expect(by(workerId)[0]).toBe('edit_file');
      // The edit was not redone: the second worker rebuilt the workspace from the checkpointed diff.
      expect(by(second.get<WorkerService>(WorkerService).workerId)).toEqual(['run_tests', 'commit_changes']);
      expect(await (await fetch(`${second.url}/api/jobs/${id}/diff`)).text()).toContain('+  return a - b;');
    } finally {
      await second?.close();
      await first.close().catch(() => undefined);
    }
  });
});

function requestTextHas(r: { body?: { messages?: { content: unknown }[] } }, needle: string): boolean {
  return JSON.stringify(r.body?.messages?.[0]?.content ?? '').includes(needle);
}
