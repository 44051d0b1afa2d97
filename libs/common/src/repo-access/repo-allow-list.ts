import { posix } from 'node:path';
import { IpAddress } from './ip-address';
import { MalformedRepository, RepoUrlScheme, defaultPort, parseHost, parseRepository } from './repository-location';

/** How a pattern names hosts: any, a domain and its subdomains (`*.example.com`), or one host exactly. */
export type HostPattern = { kind: 'any' } | { kind: 'suffix'; suffix: string } | { kind: 'exact'; host: string; ip?: IpAddress };

/** One entry of the allow-list. */
export type AllowEntry =
  /** Server paths at or below `prefix`. */
  | { kind: 'path'; prefix: string; source: string }
  /** `file://` URLs of paths at or below `prefix`. */
  | { kind: 'file'; prefix: string; source: string }
  | {
      kind: 'url';
      scheme: RepoUrlScheme;
      user?: string;
      host: HostPattern;
      /** `undefined`: any port. */
      port?: number;
      /** Matches the normalised path (see {@link normalizeRepoPath}); `undefined`: any path. */
      path?: RegExp;
      source: string;
    };

/** A path compared with patterns: no leading or trailing slash, no `.git` suffix, so `acme/shop` matches every spelling of it. */
export function normalizeRepoPath(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

function globToRegExp(glob: string): RegExp {
  const body = normalizeRepoPath(glob)
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const PATTERN_URL =
  /^([a-z][a-z0-9+.-]*):\/\/(?:([\w.+-]+)@)?(\*|\[[0-9a-fA-F:.]+\]|(?:\*\.)?[A-Za-z0-9._-]+)(?::(\d{1,5}|\*))?(\/[^\s?#\\]*)?$/;
const PATTERN_SCP = /^(?:([\w.+-]+)@)?(\*|(?:\*\.)?[A-Za-z0-9._-]+):(?!\/\/)([^\s\\]*)$/;

function hostPattern(raw: string): HostPattern {
  if (raw === '*') return { kind: 'any' };
  if (raw.startsWith('*.')) return { kind: 'suffix', suffix: parseHost(raw.slice(2)).host };
  const { host, ip } = parseHost(raw);
  return { kind: 'exact', host, ip };
}

/**
 * Parses one REPO_ALLOW entry: an absolute server path prefix (`/srv/repos`), a `file://` prefix
 * (`file:///srv/repos`), or a URL pattern (`https://github.com/acme/*`, `https://*.example.com/**`,
 * `ssh://git@10.0.0.5/**`, `git@github.com:acme/*`): `*` matches within one path segment, `**`
 * across segments, `*.` before a host matches the domain's subdomains, `:*` any port; a pattern
 * without a path matches every repository on the host. Throws with the problem.
 */
export function parseAllowEntry(source: string): AllowEntry {
  const entry = source.trim();
  if (entry.startsWith('/')) {
    if (entry.includes('*'))
      throw new Error(`"${entry}": server path prefixes take no wildcards (a prefix already covers everything below it)`);
    return { kind: 'path', prefix: posix.resolve(entry), source: entry };
  }
  if (/^file:/i.test(entry)) {
    const parsed = parseRepository(entry.replace(/\/\*\*?$/, ''));
    if (parsed.kind !== 'url' || parsed.scheme !== 'file') throw new Error(`"${entry}": a file:// prefix looks like file:///srv/repos`);
    return { kind: 'file', prefix: posix.resolve(parsed.path), source: entry };
  }
  const url = PATTERN_URL.exec(entry);
  const scp = url ? null : PATTERN_SCP.exec(entry);
  if (!url && !scp) {
    throw new Error(`"${entry}": not a server path prefix (/srv/repos), a file:// prefix or a URL pattern (https://github.com/acme/*)`);
  }
  const scheme = (url ? url[1].toLowerCase() : 'ssh') as RepoUrlScheme;
  if (!['https', 'http', 'ssh', 'git'].includes(scheme)) throw new Error(`"${entry}": the scheme ${scheme}:// is not supported`);
  const user = url ? url[2] : scp![1];
  const host = hostPattern(url ? url[3] : scp![2]);
  const portText = url?.[4];
  const port = portText === '*' ? undefined : portText !== undefined ? Number(portText) : defaultPort(scheme);
  if (port !== undefined && (port < 1 || port > 65_535)) throw new Error(`"${entry}": the port ${port} is out of range`);
  const rawPath = url ? (url[5] ?? '') : scp![3];
  if (/(^|\/)\.\.?(\/|$)/.test(rawPath)) throw new Error(`"${entry}": the path has "." or ".." segments`);
  const path = normalizeRepoPath(rawPath) === '' || /^\/?\*\*$/.test(rawPath) ? undefined : globToRegExp(rawPath);
  return { kind: 'url', scheme, user, host, port, path, source: entry };
}

/** Parses REPO_ALLOW (comma-separated entries); returns the entries and every problem found. */
export function parseAllowList(raw: string): { entries: AllowEntry[]; problems: string[] } {
  const entries: AllowEntry[] = [];
  const problems: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (!item) continue;
    try {
      entries.push(parseAllowEntry(item));
    } catch (error) {
      problems.push(error instanceof MalformedRepository ? `"${item}": ${error.message}` : (error as Error).message);
    }
  }
  return { entries, problems };
}
