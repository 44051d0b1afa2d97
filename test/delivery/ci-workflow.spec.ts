// .github/workflows/ci.yml runs what .ci/run runs (system packages, Rust, Node 20, npm ci, typecheck, npm test)
// and the delivery checks (hadolint, terraform fmt/validate, the Kubernetes manifests, the image build).
// With actionlint installed, the workflow is also linted.
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, read, tool } from './delivery-helpers';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  steps: Step[];
  needs?: string[];
}

const workflow = parse(read('.github/workflows/ci.yml')) as { on: unknown; jobs: Record<string, Job> };
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = steps.map((s) => s.run ?? '').join('\n');
const uses = steps.map((s) => s.uses ?? '');

describe('CI workflow', () => {
  it('runs on pushes and pull requests', () => {
    expect(Object.keys(workflow.on as object)).toEqual(expect.arrayContaining(['push', 'pull_request']));
  });

  it('runs every command of .ci/run', () => {
    const ciRun = read('.ci/run');
    for (const command of ['npm ci', 'npm run typecheck', 'npm test']) {
      expect(ciRun).toContain(command);
      expect(scripts).toContain(command);
    }
    for (const pkg of ['bubblewrap', 'git', 'util-linux', 'chromium']) {
      expect(ciRun).toContain(pkg);
      expect(scripts).toMatch(new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`));
    }
  });

  it('sets up Rust and Node 20', () => {
    expect(uses.some((u) => u.startsWith('dtolnay/rust-toolchain@'))).toBe(true);
    const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(String(node?.with?.['node-version'])).toMatch(/^20(\.|$)/);
  });

  it('lints the Dockerfile with hadolint, checks Terraform and the manifests, and builds the image', () => {
    expect(steps.some((s) => s.uses?.startsWith('hadolint/hadolint-action@') && s.with?.dockerfile === 'Dockerfile')).toBe(true);
    expect(scripts).toContain('terraform fmt -check');
    expect(scripts).toContain('terraform validate');
    expect(scripts).toContain('kubernetes-validate');
    expect(steps.some((s) => s.uses?.startsWith('docker/build-push-action@'))).toBe(true);
  });

  it('pins every action to a version (the Rust action is pinned by toolchain channel, as it documents)', () => {
    for (const action of uses.filter(Boolean)) expect(action, action).toMatch(/@v?\d|^dtolnay\/rust-toolchain@stable$/);
  });

  it('passes actionlint when it is installed', { timeout: 60_000 }, (ctx) => {
    const actionlint = tool('actionlint');
    if (!actionlint) ctx.skip();
    const run = spawnSync(actionlint!, ['.github/workflows/ci.yml'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
