import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

/** A pipeline without a review stage, whose Planner may only read files (no search) and gets 30% of the budget. */
const STAGES = `id = "pipeline"
version = "9.0.0-no-review"

[[stages]]
name = "intake"
role = "coordinator"
tools = []
budget_share = 0.0
skip_when_read_only = false

[[stages]]
name = "plan"
role = "planner"
tools = ["read_file", "list_files", "record_analysis", "create_plan"]
budget_share = 0.3
skip_when_read_only = false

[[stages]]
name = "build"
role = "builder"
tools = ["read_file", "list_files", "get_diff", "edit_file", "run_tests", "run_lint", "commit_changes"]
budget_share = 0.7
skip_when_read_only = true

[[stages]]
name = "quality"
role = "system"
tools = []
budget_share = 0.0
skip_when_read_only = false

[[stages]]
name = "render"
role = "coordinator"
tools = []
budget_share = 0.0
skip_when_read_only = false

[[stages]]
name = "seal"
role = "system"
tools = []
budget_share = 0.0
skip_when_read_only = false
`;

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * PIPELINE_STAGES_FILE drives the pipeline end to end, over HTTP with the real SDK against the fake
 * Messages API: the stages it lists run in its order (here without a review), each role is offered
 * and may call only the tools its stage lists, and gets the stage's share of the budget.
 */
describe('a custom stages file drives the pipeline', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    root = mkdtempSync(join(tmpdir(), 'aict-stages-'));
    chmodSync(root, 0o777);
    const file = join(root, 'stages.toml');
    writeFileSync(file, STAGES);
    let sandbox: Record<string, string> = {};
    try {
      execFileSync('bwrap', ['--version']);
    } catch {
      sandbox = { SANDBOX: 'none' };
    }
    t = await startTestApp({
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, DATA_DIR: join(root, 'data'), PIPELINE_STAGES_FILE: file, ...sandbox },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs plan → build → quality → render → seal without a review, each role with only its stage’s tools and its share', async () => {
    const repo = await makeRepo('calc-js', join(root, 'repo'));
    const goal = 'fix the subtract bug in src/calc.js [custom stages]';
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [
          reply(toolUse('read_file', { path: 'src/calc.js' })),
          // Not in the plan stage's list: refused, although the Planner role has it by default.
          reply(toolUse('search_code', { query: 'subtract' })),
          reply(toolUse('record_analysis', { summary: 'subtract() adds its arguments.', affectedFiles: ['src/calc.js'], risk: 'low' })),
          reply(
            toolUse('create_plan', { steps: [{ title: 'Use a - b in subtract', files: ['src/calc.js'] }], testStrategy: 'node --test' }),
          ),
        ],
        builder: [
          reply(
            toolUse('edit_file', {
              path: 'src/calc.js',
              oldText: 'function subtract(a, b) {\n  return a + b;',
              newText: 'function subtract(a, b) {\n  return a - b;',
            }),
          ),
          reply(toolUse('run_tests', {})),
          reply(toolUse('run_lint', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Fixed subtract in src/calc.js to return a - b; all 3 tests pass.'),
        ],
      },
    });

    const stages = (await api(t.url, 'GET', '/api/tdln/registry')).body.stages;
    expect(stages.stages.map((s: any) => s.name)).toEqual(['intake', 'plan', 'build', 'quality', 'render', 'seal']);

    const created = await api(t.url, 'POST', '/api/jobs', { goal, repo, mode: 'mechanic', maxSteps: 20 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const job = await waitFor(
      async () => {
        const body = (await api(t.url, 'GET', `/api/jobs/${created.body.id}`)).body;
        return ['succeeded', 'failed', 'aborted', 'waiting_human'].includes(body.status) ? body : null;
      },
      60_000,
      'the job to finish',
    );
    expect(job.status, JSON.stringify(job.error ?? job.pendingQuestion)).toBe('succeeded');
    expect(git(repo, 'show', `aict/${job.id}:src/calc.js`)).toContain('return a - b;');

    const requests = fake.messageRequests().filter((r) => JSON.stringify(r.body?.messages).includes(goal));
    // No Reviewer: the stage is not in the file.
    expect(requests.filter((r) => r.role === 'reviewer')).toEqual([]);
    // The Planner is offered exactly its stage's tools, and told its share: 30% of 20 steps.
    const planner = requests.filter((r) => r.role === 'planner');
    expect(planner.length).toBeGreaterThan(0);
    for (const r of planner)
      expect(r.body!.tools!.map((tool: any) => tool.name).sort()).toEqual(['create_plan', 'list_files', 'read_file', 'record_analysis']);
    expect(JSON.stringify(planner[0].body!.messages)).toContain('at most 6 tool calls');
    const builder = requests.filter((r) => r.role === 'builder');
    expect(builder[0].body!.tools!.map((tool: any) => tool.name)).not.toContain('apply_patch');

    const calls = (await api(t.url, 'GET', `/api/events?jobId=${job.id}&type=tool_call&limit=1000`)).body.items.filter(
      (e: any) => e.role === 'planner',
    );
    const refused = calls.find((e: any) => e.data.tool === 'search_code');
    expect(refused.data.ok).toBe(false);
    expect(refused.data.result.error.code).toBe('tool_not_allowed');

    const handoffs = (await api(t.url, 'GET', `/api/jobs/${job.id}/ledger`)).body
      .filter((e: any) => e.kind === 'pipeline.handoff')
      .map((e: any) => `${e.data.from} → ${e.data.to}`);
    expect(handoffs).toEqual(['planner → builder', 'builder → quality']);
  });
});
