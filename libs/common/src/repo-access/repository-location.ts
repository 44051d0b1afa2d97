import { IpAddress, parseIpLiteral } from './ip-address';

/** URL schemes a job's repository may use; `file` only when REPO_ALLOW lists a `file://` prefix. */
export const REPO_URL_SCHEMES = ['https', 'http', 'ssh', 'git', 'file'] as const;
export type RepoUrlScheme = (typeof REPO_URL_SCHEMES)[number];

const DEFAULT_PORTS: Record<RepoUrlScheme, number> = { https: 443, http: 80, ssh: 22, git: 9418, file: 0 };

/** A repository as a job names it, parsed strictly (anything two URL parsers could read differently is refused). */
export type RepositoryLocation =
  | { kind: 'path'; path: string }
  | {
      kind: 'url';
      scheme: RepoUrlScheme;
      user?: string;
      /** Lower-case host name, or the canonical address of an IP literal. */
      host: string;
      /** Set when the host is an IP literal (any IPv4 spelling, or IPv6). */
      ip?: IpAddress;
      /** The authority as written (host and port), for rewriting rules. */
      authority: string;
      port: number;
      /** The path; for scp-like `user@host:path`, the part after the colon. */
      path: string;
      scpLike: boolean;
    };

/** A repository string that cannot be read safely. */
export class MalformedRepository extends Error {}

// scheme://[userinfo@]host[:port][/path] — no backslash, whitespace, query, fragment or second '@'.
const URL_FORM =
  /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/\\\s?#[\]]*)@)?(\[[0-9a-fA-F:.]+\]|[^/\\\s?#@:[\]]*)(?::([^/\\\s?#@]*))?(\/[^\s\\?#]*)?$/;
// [user@]host:path, git's scp-like syntax (no slash before the colon).
const SCP_FORM = /^(?:([\w.+-]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(?!\/\/)([^\s\\]*)$/;
const HOST_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Parses a host: an IP literal in any spelling, or a DNS name (ASCII, no trailing dot, which resolvers and curl treat differently). */
export function parseHost(raw: string): { host: string; ip?: IpAddress } {
  const lower = raw.toLowerCase();
  if (lower === '') throw new MalformedRepository('the host is empty');
  let ip: IpAddress | undefined;
  try {
    ip = parseIpLiteral(lower);
  } catch (error) {
    throw new MalformedRepository((error as Error).message);
  }
  if (ip) return { host: ip.address, ip };
  if (lower.length > 253 || !lower.split('.').every((label) => HOST_LABEL.test(label))) {
    throw new MalformedRepository(
      `"${raw}" is not a valid host name (ASCII labels, no trailing dot; use punycode for international names)`,
    );
  }
  return { host: lower };
}

function checkPath(path: string, scheme: string): void {
  if (/(^|\/)\.\.?(\/|$)/.test(path)) throw new MalformedRepository('the path has "." or ".." segments');
  if (/%(2e|2f|5c|00)/i.test(path)) throw new MalformedRepository('the path has percent-encoded dots, slashes or NUL');
  if (scheme === 'file' && path.includes('%')) throw new MalformedRepository('a file:// URL may not be percent-encoded');
}

/** Parses a repository: an absolute server path, a URL or scp-like `user@host:path`. Throws {@link MalformedRepository}. */
export function parseRepository(repo: string): RepositoryLocation {
  if (typeof repo !== 'string' || repo === '' || repo.includes('\0')) throw new MalformedRepository('empty, or holds NUL');
  // A file name may hold any other character; a URL none that a parser could read two ways.
  if (repo.startsWith('/')) return { kind: 'path', path: repo };
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\x00-\x1f\x7f]/.test(repo)) throw new MalformedRepository('a URL may not hold control characters');
  // git reads <transport>::<address> as "run the remote helper git-remote-<transport>".
  if (/^[A-Za-z0-9+.-]+::/.test(repo))
    throw new MalformedRepository('the <transport>::<address> form (a git remote helper) is not supported');
  const url = URL_FORM.exec(repo);
  if (url) {
    const scheme = url[1].toLowerCase();
    if (!(REPO_URL_SCHEMES as readonly string[]).includes(scheme)) {
      throw new MalformedRepository(`the scheme ${scheme}:// is not supported (only ${REPO_URL_SCHEMES.join(', ')})`);
    }
    const s = scheme as RepoUrlScheme;
    const path = url[5] ?? '/';
    checkPath(path, s);
    if (s === 'file') {
      if (url[2] !== undefined || url[4] !== undefined || !['', 'localhost'].includes(url[3].toLowerCase())) {
        throw new MalformedRepository('a file:// URL names a path on this server: file:///path');
      }
      return { kind: 'url', scheme: s, host: '', authority: url[3], port: 0, path, scpLike: false };
    }
    if (url[4] !== undefined && !/^\d{1,5}$/.test(url[4])) throw new MalformedRepository(`the port "${url[4]}" is not a number`);
    const port = url[4] !== undefined ? Number(url[4]) : DEFAULT_PORTS[s];
    if (port < 1 || port > 65_535) throw new MalformedRepository(`the port ${port} is out of range`);
    const { host, ip } = parseHost(url[3]);
    const user = url[2] === undefined ? undefined : url[2].split(':')[0];
    const authority = url[3] + (url[4] !== undefined ? `:${url[4]}` : '');
    return { kind: 'url', scheme: s, user, host, ip, authority, port, path, scpLike: false };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(repo) && repo.includes('://')) throw new MalformedRepository('not a URL this service can read');
  const scp = SCP_FORM.exec(repo);
  if (scp) {
    checkPath(scp[3], 'ssh');
    const { host, ip } = parseHost(scp[2]);
    return { kind: 'url', scheme: 'ssh', user: scp[1], host, ip, authority: scp[2], port: 22, path: scp[3], scpLike: true };
  }
  throw new MalformedRepository('not an absolute server path, a URL (https, http, ssh, git, file) or user@host:path');
}

/** The default port of a scheme. */
export function defaultPort(scheme: RepoUrlScheme): number {
  return DEFAULT_PORTS[scheme];
}
