import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AppConfig, RepositoryAccess, createLogger, isRepoRefusal } from '@app/common';
import { makeRepo } from '../../../test/fixtures/repos/make-repo';
import { RepositoryViews } from './repository-views';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null' } })
    .toString()
    .trim();

describe('read-only repository views of the chat Coordinator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aict-views-'));
  const dataDir = join(dir, 'data');
  const access = new RepositoryAccess({ loopbackOnly: true, dataDir });
  const views = new RepositoryViews({ dataDir } as AppConfig, access, createLogger('silent'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('clones the repository at its default branch under DATA_DIR/chat-views, reuses it while fresh, and leaves the origin alone', async () => {
    const origin = await makeRepo('calc-js', join(dir, 'origin'));
    const view = await views.open('conv-1', origin);
    expect(view.root.startsWith(join(dataDir, 'chat-views', 'conv-1.'))).toBe(true);
    expect(readFileSync(join(view.root, 'src/calc.js'), 'utf8')).toContain('function subtract');
    expect(view.info.baseSha).toBe(git(origin, 'rev-parse', 'main'));
    expect((await views.open('conv-1', origin)).root).toBe(view.root);
    expect(git(origin, 'status', '--porcelain')).toBe('');
    expect(git(origin, 'branch', '--list', 'aict/*')).toBe('');
  });

  it('clones again, into a new directory, once a view is older than five minutes, and follows the repository', async () => {
    const origin = await makeRepo('calc-js', join(dir, 'moving'));
    const first = await views.open('conv-2', origin);
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '--allow-empty', '-m', 'later'], {
      cwd: origin,
    });
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 6 * 60_000);
    const second = await views.open('conv-2', origin);
    expect(second.root).not.toBe(first.root);
    expect(existsSync(first.root)).toBe(false);
    expect(second.info.baseSha).toBe(git(origin, 'rev-parse', 'main'));
  });

  it('refuses a repository the access policy refuses, before cloning anything', async () => {
    let thrown: unknown;
    try {
      await views.open('conv-3', dataDir);
    } catch (error) {
      thrown = error;
    }
    expect(isRepoRefusal(thrown)).toBe(true);
    const cloned = existsSync(views.directory) ? readdirSync(views.directory) : [];
    expect(cloned.filter((name) => name.startsWith('conv-3'))).toEqual([]);
  });

  it('removes views nobody read for an hour, and opens a fresh one after', async () => {
    const origin = await makeRepo('calc-js', join(dir, 'idle'));
    const view = await views.open('conv-4', origin);
    expect(await views.sweep(Date.now())).toBe(0);
    expect(await views.sweep(Date.now() + 2 * 60 * 60_000)).toBeGreaterThanOrEqual(1);
    expect(existsSync(view.root)).toBe(false);
    const again = await views.open('conv-4', origin);
    expect(again.root).not.toBe(view.root);
    expect(existsSync(join(again.root, 'src/calc.js'))).toBe(true);
  });
});
