import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, parseIPv4, parseIpLiteral } from './ip-address';
import { parseAllowList } from './repo-allow-list';
import { HostLookup, RepositoryAccess, RepositoryAccessOptions, isRepoRefusal } from './repository-access';

const reasonOf = (access: RepositoryAccess, repo: string) => {
  const verdict = access.check(repo);
  return verdict.allowed ? 'allowed' : verdict.refusal.reason;
};

describe('IP address parsing and classes', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['10.0.0.5.', '10.0.0.5'],
  ])('reads the IPv4 spelling %s as %s, as inet_aton and URL parsers do', (text, address) => {
    expect(parseIPv4(text)?.address).toBe(address);
  });

  it('refuses host names that look numeric but are not addresses, and leaves real names alone', () => {
    expect(() => parseIPv4('1.2.3.4.5')).toThrow();
    expect(() => parseIPv4('0128.0.0.1')).toThrow();
    expect(() => parseIPv4('256.1.1.1')).toThrow();
    expect(parseIPv4('github.com')).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['172.32.0.1', 'public'],
    ['140.82.112.3', 'public'],
    ['[::1]', 'loopback'],
    ['[::]', 'unspecified'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['[::ffff:169.254.169.254]', 'link_local'],
    ['[::127.0.0.1]', 'loopback'],
    ['[64:ff9b::a9fe:a9fe]', 'link_local'],
    ['[2002:7f00:1::]', 'loopback'],
    ['[fe80::1]', 'link_local'],
    ['[febf::1]', 'link_local'],
    ['[fc00::1]', 'private'],
    ['[fd12:3456::1]', 'private'],
    ['[ff02::1]', 'multicast'],
    ['[2606:4700::1111]', 'public'],
  ])('classifies %s as %s (IPv4-mapped and embedded forms by their IPv4 address)', (text, kind) => {
    expect(classifyAddress(parseIpLiteral(text)!)).toBe(kind);
  });
});

describe('RepositoryAccess', () => {
  let root: string;
  let repos: string;
  let dataDir: string;
  const make = (options: Partial<RepositoryAccessOptions> = {}) => new RepositoryAccess({ loopbackOnly: true, dataDir, ...options });

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'aict-repo-access-')));
    repos = join(root, 'repos');
    dataDir = join(root, 'data');
    mkdirSync(join(repos, 'shop'), { recursive: true });
    mkdirSync(join(root, 'repos-evil', 'x'), { recursive: true });
    mkdirSync(join(dataDir, 'workspaces', 'job-1'), { recursive: true });
    mkdirSync(join(root, 'outside', 'secret'), { recursive: true });
    symlinkSync(join(root, 'outside'), join(repos, 'link-out'));
    symlinkSync(join(dataDir, 'workspaces'), join(repos, 'link-data'));
    symlinkSync(repos, join(root, 'repos-alias'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('server paths', () => {
    it('allows a listed prefix and what is below it, never a sibling that only shares its first letters', () => {
      const access = make({ allow: [repos] });
      expect(reasonOf(access, repos)).toBe('allowed');
      expect(reasonOf(access, join(repos, 'shop'))).toBe('allowed');
      expect(reasonOf(access, `${repos}/not-yet-cloned`)).toBe('allowed');
      // A file name may hold any character but NUL.
      expect(reasonOf(access, `${repos}/odd\r\n\tname`)).toBe('allowed');
      expect(reasonOf(access, `${repos}/nul\0name`)).toBe('malformed');
      expect(reasonOf(access, join(root, 'repos-evil'))).toBe('not_listed');
      expect(reasonOf(access, join(root, 'repos-evil', 'x'))).toBe('not_listed');
      expect(reasonOf(access, '/etc')).toBe('not_listed');
    });

    it('resolves ".." and symlinks before matching, as the kernel will when git opens the path', () => {
      const access = make({ allow: [repos] });
      expect(reasonOf(access, `${repos}/../outside/secret`)).toBe('not_listed');
      expect(reasonOf(access, `${repos}/shop/../../outside`)).toBe('not_listed');
      expect(reasonOf(access, `${repos}/a/../shop`)).toBe('allowed');
      expect(reasonOf(access, join(repos, 'link-out', 'secret'))).toBe('not_listed');
      // Read lexically these stay inside the prefix; the kernel follows link-out first and lands outside it.
      expect(reasonOf(access, `${repos}/link-out/../outside/secret`)).toBe('not_listed');
      expect(reasonOf(access, `${repos}/link-out/../not-there`)).toBe('not_listed');
      // A prefix reached through a symlinked directory is the same prefix.
      expect(reasonOf(access, join(root, 'repos-alias', 'shop'))).toBe('allowed');
      expect(make({ allow: [join(root, 'repos-alias')] }).check(join(repos, 'shop')).allowed).toBe(true);
    });

    it('refuses DATA_DIR and everything below it, directly or through a symlink, even when "/" is listed', () => {
      for (const access of [make(), make({ allow: ['/'] })]) {
        expect(reasonOf(access, dataDir)).toBe('data_dir');
        expect(reasonOf(access, join(dataDir, 'workspaces', 'job-1'))).toBe('data_dir');
        expect(reasonOf(access, join(repos, 'link-data', 'job-1'))).toBe('data_dir');
        expect(reasonOf(access, `${repos}/../data/keys`)).toBe('data_dir');
      }
    });

    it('allows any other server path by default on a loopback-only server, and nothing on a shared one without REPO_ALLOW', () => {
      expect(reasonOf(make(), '/etc')).toBe('allowed');
      expect(reasonOf(make(), join(repos, 'shop'))).toBe('allowed');
      const shared = make({ loopbackOnly: false });
      expect(shared.mode).toBe('none');
      const verdict = shared.check(join(repos, 'shop'));
      expect(verdict.allowed).toBe(false);
      if (!verdict.allowed) {
        expect(verdict.refusal.reason).toBe('not_listed');
        expect(verdict.refusal.hint).toMatch(/REPO_ALLOW is empty/);
      }
      expect(reasonOf(make({ loopbackOnly: false, allow: [repos] }), join(repos, 'shop'))).toBe('allowed');
    });

    it('refuses file:// URLs unless a file:// prefix is listed, and then resolves their paths like server paths', () => {
      expect(reasonOf(make(), 'file:///etc')).toBe('file_url');
      expect(reasonOf(make({ allow: [repos] }), `file://${repos}/shop`)).toBe('file_url');
      const files = make({ allow: [`file://${repos}`] });
      expect(reasonOf(files, `file://${repos}/shop`)).toBe('allowed');
      expect(reasonOf(files, `file://${repos}/link-out/secret`)).toBe('not_listed');
      expect(reasonOf(files, repos)).toBe('not_listed');
    });
  });

  describe('URLs', () => {
    it.each([
      ['http://169.254.169.254/latest/meta-data/', 'link_local_address'],
      ['http://127.0.0.1:5432/x.git', 'loopback_address'],
      ['ssh://git@10.0.0.5/internal.git', 'private_address'],
      ['git@10.0.0.5:internal.git', 'private_address'],
      ['https://2130706433/x.git', 'loopback_address'],
      ['http://0x7f.1/x.git', 'loopback_address'],
      ['https://0177.0.0.1/x.git', 'loopback_address'],
      ['https://[::1]/x.git', 'loopback_address'],
      ['https://[::ffff:127.0.0.1]/x.git', 'loopback_address'],
      ['https://[::ffff:a9fe:a9fe]/x.git', 'link_local_address'],
      ['https://[fe80::1]/x.git', 'link_local_address'],
      ['https://[fd00::1]/x.git', 'private_address'],
      ['https://0.0.0.0/x.git', 'unspecified_address'],
      ['https://100.64.0.1/x.git', 'shared_address'],
      ['https://github.com@127.0.0.1/x.git', 'loopback_address'],
      ['https://localhost/x.git', 'loopback_address'],
      ['https://git.localhost/x.git', 'loopback_address'],
      ['https://LOCALHOST:8443/x.git', 'loopback_address'],
    ])('refuses %s by default (%s), whatever the spelling of the host', (repo, reason) => {
      expect(reasonOf(make(), repo)).toBe(reason);
      // A wildcard pattern does not admit it either.
      expect(reasonOf(make({ allow: ['https://*:*', 'http://*:*', 'ssh://*:*'] }), repo)).toBe(reason);
    });

    it.each([
      'https://a@b@127.0.0.1/x.git',
      'https://127.0.0.1\\@github.com/x.git',
      'https://github.com/x.git?u=http://127.0.0.1/',
      'https://github.com/x.git#frag',
      'https://github.com/x\u0001.git',
      'https://github.com./acme/x.git',
      'https://github.com/acme/../../x.git',
      'https://github.com/acme/%2e%2e/x.git',
      'https://github.com:99999/x.git',
      'https://1.2.3.4.5/x.git',
      'https://exämple.com/x.git',
      'ext::sh -c touch% /tmp/pwned',
      'fd::17',
      'relative/path',
    ])('refuses %s as malformed rather than guess how git would read it', (repo) => {
      expect(reasonOf(make({ allow: ['/', 'https://*:*'] }), repo)).toBe('malformed');
    });

    it('allows public https URLs by default, and not http, ssh or git ones', () => {
      const access = make();
      expect(reasonOf(access, 'https://github.com/acme/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'https://127.0.0.1:443@github.com/acme/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'https://git.example.com:8443/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'http://github.com/acme/shop.git')).toBe('not_listed');
      expect(reasonOf(access, 'git@github.com:acme/shop.git')).toBe('not_listed');
      expect(reasonOf(access, 'git://github.com/acme/shop.git')).toBe('not_listed');
    });

    it('matches URL patterns by scheme, user, host, port and path glob', () => {
      const access = make({
        allow: ['https://github.com/acme/*', 'https://*.example.com/**', 'git@github.com:acme/*', 'http://git.corp:8080/team/**'],
      });
      expect(reasonOf(access, 'https://github.com/acme/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'https://github.com/acme/shop')).toBe('allowed');
      expect(reasonOf(access, 'https://GitHub.com/acme/shop/')).toBe('allowed');
      expect(reasonOf(access, 'https://github.com/acme/shop/sub')).toBe('not_listed');
      expect(reasonOf(access, 'https://github.com/acmeevil/shop')).toBe('not_listed');
      expect(reasonOf(access, 'https://github.com:444/acme/shop')).toBe('not_listed');
      expect(reasonOf(access, 'https://git.example.com/a/b/c.git')).toBe('allowed');
      expect(reasonOf(access, 'https://example.com/a.git')).toBe('not_listed');
      expect(reasonOf(access, 'https://evilexample.com/a.git')).toBe('not_listed');
      expect(reasonOf(access, 'git@github.com:acme/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'ssh://git@github.com/acme/shop.git')).toBe('allowed');
      expect(reasonOf(access, 'root@github.com:acme/shop.git')).toBe('not_listed');
      expect(reasonOf(access, 'http://git.corp:8080/team/a/b.git')).toBe('allowed');
      expect(reasonOf(access, 'http://git.corp/team/a.git')).toBe('not_listed');
    });

    it('lets an entry that names an internal host exactly admit it, and no wildcard', () => {
      const access = make({ allow: ['ssh://git@10.0.0.5/**', 'http://127.0.0.1:5432/**', 'https://*'] });
      expect(reasonOf(access, 'ssh://git@10.0.0.5/internal.git')).toBe('allowed');
      expect(reasonOf(access, 'http://127.0.0.1:5432/x.git')).toBe('allowed');
      expect(reasonOf(access, 'http://2130706433:5432/x.git')).toBe('allowed');
      expect(reasonOf(access, 'ssh://git@10.0.0.6/internal.git')).toBe('private_address');
      expect(reasonOf(access, 'https://10.0.0.5/internal.git')).toBe('private_address');
    });

    it('explains a refusal: the reason, the address, what is allowed and how to allow it', () => {
      const verdict = make().check('http://169.254.169.254/latest/meta-data/');
      expect(verdict.allowed).toBe(false);
      if (verdict.allowed) return;
      expect(verdict.refusal).toMatchObject({ reason: 'link_local_address', address: '169.254.169.254' });
      expect(verdict.refusal.message).toMatch(/link-local/);
      expect(verdict.refusal.allowed).toEqual(['any server path (except DATA_DIR)', 'https URLs (public addresses only)']);
      expect(verdict.refusal.hint).toMatch(/REPO_ALLOW names this exact host/);
    });
  });

  describe('REPO_ALLOW parsing', () => {
    it('names every bad entry', () => {
      const { entries, problems } = parseAllowList(
        '/srv/repos, relative/dir, ftp://x/y, https://git.example.com/acme/*, /srv/*, https://a/../b',
      );
      expect(entries.map((e) => e.source)).toEqual(['/srv/repos', 'https://git.example.com/acme/*']);
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/relative\/dir/);
      expect(problems.join('\n')).toMatch(/ftp/);
    });
  });

  describe('at clone time', () => {
    const lookupOf =
      (answers: Record<string, string[]>, seen: string[] = []): HostLookup =>
      async (host) => {
        seen.push(host);
        const addresses = answers[host];
        if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      };

    it('refuses a host name that resolves to a loopback, private or link-local address, whichever of its addresses it is', async () => {
      const access = make({
        lookup: lookupOf({
          'loop.example.test': ['127.0.0.1'],
          'mixed.example.test': ['140.82.112.3', '10.0.0.5'],
          'mapped.example.test': ['::ffff:169.254.169.254'],
          'v6.example.test': ['fd00::5'],
        }),
      });
      for (const [host, address] of [
        ['loop.example.test', '127.0.0.1'],
        ['mixed.example.test', '10.0.0.5'],
        ['mapped.example.test', '::ffff:169.254.169.254'],
        ['v6.example.test', 'fd00::5'],
      ]) {
        const repo = `https://${host}/acme/shop.git`;
        expect(access.check(repo).allowed).toBe(true);
        const error = await access.prepare(repo).catch((e: unknown) => e);
        expect(isRepoRefusal(error)).toBe(true);
        expect((error as { details: { address: string } }).details.address).toBe(address);
      }
    });

    it('pins git to the addresses it checked, forbids redirects and other protocols', async () => {
      const access = make({ lookup: lookupOf({ 'git.example.test': ['140.82.112.3', '2606:4700::1111'] }) });
      expect(await access.prepare('https://git.example.test/acme/shop.git')).toEqual({
        url: 'https://git.example.test/acme/shop.git',
        config: [
          'protocol.allow=never',
          'protocol.https.allow=always',
          'http.followRedirects=false',
          'http.curloptResolve=git.example.test:443:140.82.112.3,[2606:4700:0:0:0:0:0:1111]',
        ],
      });
      const ssh = make({
        allow: ['ssh://*.example.test/**', 'git://*.example.test/**'],
        lookup: lookupOf({ 'git.example.test': ['140.82.112.3'] }),
      });
      expect((await ssh.prepare('ssh://git.example.test/acme/shop.git')).config).toContain(
        'core.sshCommand=ssh -o HostName=140.82.112.3 -o HostKeyAlias=git.example.test',
      );
      expect((await ssh.prepare('git://git.example.test/acme/shop.git')).config).toContain(
        'url.git://140.82.112.3:9418/.insteadOf=git://git.example.test/',
      );
    });

    it('lets a host the operator named exactly resolve to an internal address, still pinned, and never resolves an IP literal', async () => {
      const seen: string[] = [];
      const access = make({
        allow: ['https://git.corp/**', 'ssh://git@alias/**', 'https://*'],
        lookup: lookupOf({ 'git.corp': ['10.0.0.7'] }, seen),
      });
      expect((await access.prepare('https://git.corp/a.git')).config).toContain('http.curloptResolve=git.corp:443:10.0.0.7');
      // A name only ssh knows (a Host alias) is tried as it is.
      expect((await access.prepare('ssh://git@alias/a.git')).config).toEqual(['protocol.allow=never', 'protocol.ssh.allow=always']);
      expect((await access.prepare('https://140.82.112.3/a.git')).url).toBe('https://140.82.112.3/a.git');
      expect(seen).toEqual(['git.corp', 'alias']);
      await expect(make({ lookup: lookupOf({}) }).prepare('https://nowhere.example.test/a.git')).rejects.toThrow(/cannot resolve/);
    });

    it('clones a server path by its resolved real path, and refuses a .git file that leads outside the allowed prefixes', async () => {
      const access = make({ allow: [repos] });
      expect((await access.prepare(join(root, 'repos-alias', 'shop'))).url).toBe(join(repos, 'shop'));
      mkdirSync(join(repos, 'gitfile'), { recursive: true });
      writeFileSync(join(repos, 'gitfile', '.git'), `gitdir: ${join(root, 'outside', 'secret')}\n`);
      const error = await access.prepare(join(repos, 'gitfile')).catch((e: unknown) => e);
      expect(isRepoRefusal(error)).toBe(true);
      await expect(access.prepare(join(repos, 'missing'))).rejects.toThrow(/no repository at/);
    });
  });
});
