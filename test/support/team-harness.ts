import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { SANDBOX_ENV } from './sandbox';

/** What a test of the team needs besides the app: the fake Messages API and a scratch directory the sandbox may write. */
export interface TeamHarness {
  fake: FakeModel;
  root: string;
  /** An app's environment on this fake model: its own data directory under `root`, the sandbox as this machine allows. */
  env(extra?: Record<string, string>, dataDir?: string): Record<string, string>;
  close(): Promise<void>;
}

/** Starts the fake model and makes the scratch directory (`prefix` names it); `close` removes both. */
export async function startTeamHarness(prefix: string): Promise<TeamHarness> {
  const fake = await startFakeModel();
  const root = mkdtempSync(join(tmpdir(), prefix));
  // Sandboxed runs write as other uids: the scratch directory must let them.
  chmodSync(root, 0o777);
  return {
    fake,
    root,
    env: (extra = {}, dataDir = 'data') => ({
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: fake.url,
      DATA_DIR: join(root, dataDir),
      ...SANDBOX_ENV,
      ...extra,
    }),
    close: async () => {
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
