import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepositoryAccess, RepositoryAccessOptions } from '@app/common';
import { makeRepo } from '../../../test/fixtures/repos/make-repo';
import { AllowAllGate, ChangeGate } from './change-gate';
import type { ToolContext } from './tool';
import { ToolRunState } from './tool-run-state';
import { WorkspaceManager } from './workspace/workspace-manager';

/** A fixture repository as an origin, a workspace cloned from it and a tool context (specs only). */
export async function fixtureContext(
  fixture: string,
  options: { jobId?: string; gate?: ChangeGate; access?: Partial<RepositoryAccessOptions> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'aict-tools-'));
  const origin = await makeRepo(fixture, join(dir, 'origin'));
  const dataDir = join(dir, 'data');
  // The default of a loopback-only service: any server path but DATA_DIR, and https URLs.
  const access = new RepositoryAccess({ loopbackOnly: true, dataDir, ...options.access });
  const manager = new WorkspaceManager({ dataDir, access });
  const jobId = options.jobId ?? 'job-1';
  const workspace = await manager.open({ jobId, repository: origin });
  const controller = new AbortController();
  const ctx: ToolContext = {
    workspace,
    signal: controller.signal,
    jobId,
    gate: options.gate ?? new AllowAllGate(),
    state: new ToolRunState(),
  };
  return { dir, origin, access, manager, workspace, ctx, controller, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
