import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureContext } from '../testing';
import { ToolsErrorCode } from '../tools.errors';
import { DomainException } from '@app/common';

const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } })
    .toString()
    .trim();

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainException ? error.code : String(error);
  }
}

describe('Workspace', () => {
  let f: Awaited<ReturnType<typeof fixtureContext>>;
  beforeEach(async () => {
    f = await fixtureContext('calc-js', { jobId: 'job-42' });
  });
  afterEach(() => f.dispose());

  it('clones a server-path repository at the default branch onto branch aict/<job id>', async () => {
    expect(f.workspace.root).toBe(join(f.dir, 'data', 'workspaces', 'job-42'));
    expect(gitIn(f.workspace.root, 'symbolic-ref', '--short', 'HEAD')).toBe('aict/job-42');
    expect(f.workspace.info.baseSha).toBe(gitIn(f.origin, 'rev-parse', 'main'));
    expect(f.workspace.info.baseRef).toBe('main');
    expect(existsSync(join(f.workspace.root, 'src/calc.js'))).toBe(true);
  });

  it('refuses a parent-directory escape, an absolute path, a symlink to /etc and .git with outside_workspace', () => {
    symlinkSync('/etc', join(f.workspace.root, 'etc-link'));
    expect(refusal(() => f.workspace.resolve('../x'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('src/../../x'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('/etc/passwd'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('etc-link/passwd'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('etc-link/new-file'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('.git/config'))).toBe(ToolsErrorCode.OutsideWorkspace);
    expect(refusal(() => f.workspace.resolve('src/../.git/hooks/pre-commit'))).toBe(ToolsErrorCode.OutsideWorkspace);
  });

  it('accepts paths inside the workspace, including ones that do not exist yet', () => {
    expect(f.workspace.resolve('src/calc.js')).toBe(join(f.workspace.root, 'src/calc.js'));
    expect(f.workspace.resolve('./src/new/dir/file.js')).toBe(join(f.workspace.root, 'src/new/dir/file.js'));
    expect(f.workspace.resolve('')).toBe(f.workspace.root);
  });

  it('reuses an existing workspace with its job branch instead of cloning again', async () => {
    writeFileSync(join(f.workspace.root, 'scratch.txt'), 'kept\n');
    const again = await f.manager.open({ jobId: 'job-42', repository: f.origin });
    expect(readFileSync(join(again.root, 'scratch.txt'), 'utf8')).toBe('kept\n');
    expect(again.info.baseSha).toBe(f.workspace.info.baseSha);
  });

  it('pushes the job branch back into the origin repository', async () => {
    writeFileSync(join(f.workspace.root, 'NOTES.md'), 'notes\n');
    await f.workspace.git(['add', '-A']);
    await f.workspace.git(['commit', '-q', '-m', 'notes']);
    const pushed = await f.workspace.pushBack();
    expect(pushed).toMatchObject({ pushed: true, branch: 'aict/job-42' });
    expect(gitIn(f.origin, 'rev-parse', 'aict/job-42')).toBe(await f.workspace.head());
    expect(gitIn(f.origin, 'log', '-1', '--format=%an <%ae>', 'aict/job-42')).toBe('AI Coding Team <aict@localhost>');
  });

  it('does not push to a remote URL without credentials', async () => {
    const remote = new (f.workspace.constructor as typeof import('./workspace').Workspace)(
      { ...f.workspace.info, origin: 'https://example.invalid/repo.git' },
      f.access,
    );
    expect(await remote.pushBack()).toEqual({ pushed: false, reason: expect.stringContaining('no credentials') });
  });

  it('restores a checkpointed cumulative diff (commits, edits, new and deleted files) onto a fresh clone', async () => {
    writeFileSync(
      join(f.workspace.root, 'src/calc.js'),
      readFileSync(join(f.workspace.root, 'src/calc.js'), 'utf8').replace(
        'return a + b;\n}\n\n/** Multiplies',
        'return a - b;\n}\n\n/** Multiplies',
      ),
    );
    await f.workspace.git(['commit', '-q', '-am', 'fix subtract']);
    writeFileSync(join(f.workspace.root, 'src/new.js'), 'module.exports = 1;\n');
    execFileSync('rm', [join(f.workspace.root, 'scripts/lint.js')]);
    const diff = await f.workspace.patch();
    await f.workspace.cleanup();
    expect(existsSync(f.workspace.root)).toBe(false);

    const restored = await f.manager.restore({ jobId: 'job-42', repository: f.origin }, diff);
    expect(readFileSync(join(restored.root, 'src/calc.js'), 'utf8')).toContain('return a - b;');
    expect(readFileSync(join(restored.root, 'src/new.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect(existsSync(join(restored.root, 'scripts/lint.js'))).toBe(false);
    expect(await restored.patch()).toBe(diff);
  });

  it('removes the workspaces of finished jobs only', async () => {
    const other = await f.manager.open({ jobId: 'job-43', repository: f.origin });
    expect(await f.manager.janitor(['job-42', 'job-unknown'])).toEqual(['job-42']);
    expect(existsSync(f.workspace.root)).toBe(false);
    expect(existsSync(other.root)).toBe(true);
  });

  it('refuses job ids that would leave the workspaces directory', () => {
    expect(refusal(() => f.manager.pathOf('../evil'))).toBe(ToolsErrorCode.InvalidInput);
  });
});
