// .github/workflows/ci.yml runs what .ci/run runs (system packages, Rust, schemathesis, npm ci, typecheck, lint,
// npm test) on Node 20, 22 and 24, and the delivery checks (hadolint, terraform fmt/validate, docker compose
// config, the Kubernetes manifests, the image build).
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
  strategy?: { matrix?: Record<string, unknown[]> };
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
    for (const command of ['npm ci', 'npm run typecheck', 'npm run lint', 'npm run lint:native', 'npm test']) {
      expect(ciRun).toContain(command);
      expect(scripts).toContain(command);
    }
    for (const pkg of ['bubblewrap', 'git', 'util-linux', 'chromium']) {
      expect(ciRun).toContain(pkg);
      expect(scripts).toMatch(new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`));
    }
  });

  it('installs schemathesis where the API fuzz test looks for it, from the same pinned requirements as .ci/run', () => {
    const venv = '$HOME/.cache/aict/schemathesis';
    expect(read('.ci/run')).toContain('st_venv="$HOME/.cache/aict/schemathesis"');
    expect(scripts).toContain(`python3 -m venv "${venv}"`);
    expect(scripts).toMatch(/pip install[^\n]*-r test\/hostile\/requirements\.txt/);
    expect(read('test/hostile/api-fuzz.spec.ts')).toContain("'.cache/aict/schemathesis/bin/schemathesis'");
  });

  it('runs the tests on Node 20, 22 and 24, with clippy and rustfmt in the Rust toolchain', () => {
    const test = workflow.jobs.test;
    expect(test.strategy?.matrix?.node?.map((v) => String(v).split('.')[0])).toEqual(['20', '22', '24']);
    const node = test.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(node?.with?.['node-version']).toBe('${{ matrix.node }}');
    // The oldest one in the matrix is the oldest package.json allows.
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines).toBe(`>=${test.strategy!.matrix!.node[0]}`);
    const rust = test.steps.find((s) => s.uses?.startsWith('dtolnay/rust-toolchain@'));
    expect(String(rust?.with?.components)).toMatch(/clippy.*rustfmt|rustfmt.*clippy/);
  });

  it('lints the Dockerfile with hadolint, checks Terraform and the manifests, and builds the image', () => {
    expect(steps.some((s) => s.uses?.startsWith('hadolint/hadolint-action@') && s.with?.dockerfile === 'Dockerfile')).toBe(true);
    expect(scripts).toContain('terraform fmt -check');
    expect(scripts).toContain('terraform validate');
    expect(scripts).toContain('kubernetes-validate');
    expect(scripts).toContain('docker compose -f docker-compose.yml config');
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
