import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostLookup, RepositoryAccess, isRepoRefusal } from '@app/common';
import { makeRepo } from '../../../../test/fixtures/repos/make-repo';
import { Workspace } from './workspace';
import { WorkspaceManager } from './workspace-manager';

const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } })
    .toString()
    .trim();

/** A dumb-HTTP git server over a bare repository that counts requests; `/redirect/...` answers 302 to `redirectTo`. */
async function gitHttpServer(bare: string): Promise<{ server: Server; port: number; requests: string[]; redirectTo?: string }> {
  const state: { server: Server; port: number; requests: string[]; redirectTo?: string } = { server: undefined!, port: 0, requests: [] };
  state.server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/redirect/') && state.redirectTo) {
      res.writeHead(302, { location: `${state.redirectTo}${path.slice('/redirect'.length)}${req.url!.slice(path.length)}` }).end();
      return;
    }
    const file = normalize(join(bare, path.replace(/^\/origin\.git/, '')));
    if (!file.startsWith(bare) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => state.server.listen(0, '127.0.0.1', done));
  state.port = (state.server.address() as AddressInfo).port;
  return state;
}

describe('workspaces under the repository access policy', () => {
  let root: string;
  let origin: string;
  let bare: string;
  let dataDir: string;
  let primary: Awaited<ReturnType<typeof gitHttpServer>>;
  let other: Awaited<ReturnType<typeof gitHttpServer>>;
  const lookup =
    (answers: Record<string, string>): HostLookup =>
    async (host) => {
      if (!answers[host]) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return [{ address: answers[host], family: 4 }];
    };
  const manager = (allow: string[], answers: Record<string, string> = {}) =>
    new WorkspaceManager({ dataDir, access: new RepositoryAccess({ allow, loopbackOnly: true, dataDir, lookup: lookup(answers) }) });

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'aict-ws-access-')));
    origin = await makeRepo('calc-js', join(root, 'origin'));
    bare = join(root, 'origin.git');
    execFileSync('git', ['clone', '--quiet', '--bare', origin, bare]);
    execFileSync('git', ['update-server-info'], { cwd: bare });
    dataDir = join(root, 'data');
    primary = await gitHttpServer(bare);
    other = await gitHttpServer(bare);
  });
  afterAll(async () => {
    await new Promise((done) => primary?.server.close(done));
    await new Promise((done) => other?.server.close(done));
    rmSync(root, { recursive: true, force: true });
  });

  it('clones a host name through the address it was checked at, though no real DNS knows the name', async () => {
    const url = `http://git.example.test:${primary.port}/origin.git`;
    const workspace = await manager([`http://git.example.test:${primary.port}/**`], { 'git.example.test': '127.0.0.1' }).open({
      jobId: 'pinned',
      repository: url,
    });
    expect(workspace.info.baseSha).toBe(gitIn(origin, 'rev-parse', 'main'));
    expect(primary.requests.length).toBeGreaterThan(0);
  });

  it('refuses, before git connects, a host name that a wildcard admits but that resolves to a loopback address', async () => {
    primary.requests.length = 0;
    const error = await manager(['http://*.example.test:*/**'], { 'evil.example.test': '127.0.0.1' })
      .open({ jobId: 'rebound', repository: `http://evil.example.test:${primary.port}/origin.git` })
      .catch((e: unknown) => e);
    expect(isRepoRefusal(error)).toBe(true);
    expect((error as { details: { reason: string; address: string } }).details).toMatchObject({
      reason: 'loopback_address',
      address: '127.0.0.1',
    });
    expect(primary.requests).toEqual([]);
    expect(existsSync(join(dataDir, 'workspaces', 'rebound'))).toBe(false);
  });

  it('does not follow an HTTP redirect to another host', async () => {
    primary.redirectTo = `http://127.0.0.1:${other.port}/origin.git`;
    other.requests.length = 0;
    const error = await manager([`http://git.example.test:${primary.port}/**`], { 'git.example.test': '127.0.0.1' })
      .open({ jobId: 'redirected', repository: `http://git.example.test:${primary.port}/redirect` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(other.requests).toEqual([]);
  });

  it("refuses a repository inside DATA_DIR, such as another job's workspace", async () => {
    const access = manager([root]);
    const first = await access.open({ jobId: 'first', repository: origin });
    const error = await access.open({ jobId: 'second', repository: first.root }).catch((e: unknown) => e);
    expect(isRepoRefusal(error)).toBe(true);
    expect((error as { details: { reason: string } }).details.reason).toBe('data_dir');
  });

  it("pushes to the job's checked repository, not wherever the clone's origin remote was pointed since", async () => {
    const decoy = await makeRepo('calc-js', join(root, 'decoy'));
    const workspace = await manager([root]).open({ jobId: 'push-1', repository: origin });
    await workspace.git(['remote', 'set-url', 'origin', decoy]);
    writeFileSync(join(workspace.root, 'NOTES.md'), 'notes\n');
    await workspace.git(['add', '-A']);
    await workspace.git(['commit', '-q', '-m', 'notes']);
    expect(await workspace.pushBack()).toMatchObject({ pushed: true });
    expect(gitIn(origin, 'rev-parse', 'aict/push-1')).toBe(await workspace.head());
    expect(() => gitIn(decoy, 'rev-parse', '--verify', '--quiet', 'aict/push-1')).toThrow();
  });

  it('does not push into a repository the policy no longer allows, and does not reopen its workspace', async () => {
    const workspace = await manager([root]).open({ jobId: 'push-2', repository: origin });
    writeFileSync(join(workspace.root, 'NOTES.md'), 'notes\n');
    await workspace.git(['add', '-A']);
    await workspace.git(['commit', '-q', '-m', 'notes']);
    const narrowed = new RepositoryAccess({ allow: [join(root, 'elsewhere')], loopbackOnly: true, dataDir });
    expect(await new Workspace(workspace.info, narrowed).pushBack()).toEqual({
      pushed: false,
      reason: expect.stringMatching(/^repo_not_allowed: /),
    });
    expect(() => gitIn(origin, 'rev-parse', '--verify', '--quiet', 'aict/push-2')).toThrow();
    const reopened = await manager([join(root, 'elsewhere')])
      .open({ jobId: 'push-2', repository: origin })
      .catch((e: unknown) => e);
    expect(isRepoRefusal(reopened)).toBe(true);
  });
});
