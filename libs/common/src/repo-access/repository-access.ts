import { lookup as dnsLookup } from 'node:dns/promises';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { AppConfig, isLoopback } from '../config/app-config';
import { CommonErrorCode } from '../errors/domain.exception';
import { ADDRESS_CLASS_WORDS, AddressClass, IpAddress, classifyAddress, parseIpLiteral } from './ip-address';
import { AllowEntry, normalizeRepoPath, parseAllowList } from './repo-allow-list';
import { MalformedRepository, RepositoryLocation, parseRepository } from './repository-location';
import { DomainException } from '../errors/domain.exception';

/** Resolves a host name to its addresses, as the clone will (getaddrinfo); injectable so tests control names. */
export type HostLookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** The system resolver (`getaddrinfo`, what git and curl use), every address it returns. */
export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why a repository was refused. */
export type RepoRefusalReason =
  'malformed' | 'not_listed' | 'data_dir' | 'file_url' | 'unresolvable_path' | `${Exclude<AddressClass, 'public'>}_address`;

/** A refused repository: what, why, and what the policy allows. */
export interface RepoRefusal {
  repo: string;
  reason: RepoRefusalReason;
  message: string;
  /** The address that made it refused (an IP literal, or what the host name resolved to). */
  address?: string;
  /** What the policy allows, entry by entry. */
  allowed: string[];
  /** How to allow it, when allowing it can make sense. */
  hint: string;
}

/** What a repository check decided. */
export type RepoVerdict =
  { allowed: true; location: RepositoryLocation; entry: string; explicit: boolean } | { allowed: false; refusal: RepoRefusal };

/** Where git should fetch from or push to, and the `-c key=value` settings that pin it there. */
export interface GitTarget {
  url: string;
  config: string[];
}

/** Options of {@link RepositoryAccess}. */
export interface RepositoryAccessOptions {
  /** REPO_ALLOW entries; `undefined` gives the default of the bind address. */
  allow?: string[];
  /** True when the service binds only loopback (one person on their own machine). */
  loopbackOnly: boolean;
  /** The service's own data; never a job's repository. */
  dataDir: string;
  lookup?: HostLookup;
}

const DEFAULT_LOOPBACK_ENTRIES = ['/', 'https://*:*'];

/**
 * The one place that decides which repositories a job may touch (clone, push, list files): an
 * operator's REPO_ALLOW, or by default any server path but DATA_DIR plus https URLs when bound to
 * loopback, and nothing when bound to a shared address. `file://`, loopback, link-local, private,
 * shared (CGNAT) and reserved addresses are refused unless an entry names that exact host;
 * wildcard patterns admit public addresses only. Host names are checked again when git is about to
 * connect, on the addresses they resolve to then, and git is pinned to those addresses.
 */
export class RepositoryAccess {
  readonly entries: AllowEntry[];
  /** `default`: REPO_ALLOW unset on loopback; `listed`: REPO_ALLOW; `none`: a shared server with nothing listed. */
  readonly mode: 'default' | 'listed' | 'none';
  private readonly lookup: HostLookup;

  constructor(private readonly options: RepositoryAccessOptions) {
    this.lookup = options.lookup ?? systemLookup;
    const listed = options.allow?.filter((s) => s.trim() !== '');
    this.mode = listed?.length ? 'listed' : options.loopbackOnly ? 'default' : 'none';
    const sources = this.mode === 'listed' ? listed! : this.mode === 'default' ? DEFAULT_LOOPBACK_ENTRIES : [];
    const { entries, problems } = parseAllowList(sources.join(','));
    if (problems.length > 0) throw new Error(`REPO_ALLOW: ${problems.join('; ')}`);
    this.entries = entries;
  }

  /** What the policy allows, in words (for refusals and the start-up log). */
  describe(): string[] {
    if (this.mode === 'none') return [];
    if (this.mode === 'default') return ['any server path (except DATA_DIR)', 'https URLs (public addresses only)'];
    return this.entries.map((e) =>
      e.kind === 'path' && e.prefix === '/'
        ? 'any server path (except DATA_DIR)'
        : e.kind === 'url' && e.host.kind !== 'exact'
          ? `${e.source} (public addresses only)`
          : e.source,
    );
  }

  /** Decides on a repository as written, without resolving host names (that happens at {@link prepare}). */
  check(repo: string): RepoVerdict {
    let location: RepositoryLocation;
    try {
      location = parseRepository(repo);
    } catch (error) {
      if (!(error instanceof MalformedRepository)) throw error;
      return this.refuse(repo, 'malformed', `it cannot be read safely: ${error.message}`);
    }
    if (location.kind === 'path') return this.checkPath(repo, location, location.path, 'path');
    if (location.scheme === 'file') return this.checkPath(repo, location, location.path, 'file');

    const matches = this.entries.filter((e) => e.kind === 'url' && urlMatches(e, location));
    const exact = matches.find((e) => e.kind === 'url' && e.host.kind === 'exact');
    if (exact) return { allowed: true, location, entry: exact.source, explicit: true };
    const special = location.ip ? classifyAddress(location.ip) : isLocalhostName(location.host) ? 'loopback' : 'public';
    if (special !== 'public') {
      return this.refuse(repo, `${special}_address`, `${location.host} is ${ADDRESS_CLASS_WORDS[special]}`, location.host);
    }
    if (matches.length > 0) return { allowed: true, location, entry: matches[0].source, explicit: false };
    return this.refuse(repo, 'not_listed', 'no entry of the allow-list matches it');
  }

  /** Throws `repo_not_allowed` (400) unless {@link check} allows the repository. */
  assertAllowed(repo: string): void {
    const verdict = this.check(repo);
    if (!verdict.allowed) throw refusalException(verdict.refusal);
  }

  /**
   * Checks a repository right before git reaches it (clone or push) and returns where git should
   * go: a server path with its symlinks resolved (and its `.git` file, if any, checked too), or the
   * URL with settings that keep git on the addresses checked here — host names resolved now and
   * pinned (`http.curloptResolve`, ssh `HostName`, `url.insteadOf` for git://), no HTTP redirects,
   * no other protocol. A name matched only by a wildcard must resolve to public addresses alone; a
   * name an entry lists exactly may resolve anywhere. Throws `repo_not_allowed` when refused.
   */
  async prepare(repo: string): Promise<GitTarget> {
    const verdict = this.check(repo);
    if (!verdict.allowed) throw refusalException(verdict.refusal);
    const { location } = verdict;
    if (location.kind === 'path' || location.scheme === 'file') return this.preparePath(repo, location.path);

    const config = ['protocol.allow=never', `protocol.${location.scheme}.allow=always`];
    if (location.scheme === 'http' || location.scheme === 'https') config.push('http.followRedirects=false');
    if (location.ip) return { url: repo, config };

    // Resolved now, and git pinned to these very addresses: a name cannot point elsewhere by the time git connects.
    let resolved: { address: string; family: number }[];
    try {
      resolved = await this.lookup(location.host);
    } catch (error) {
      // A host the operator named exactly may be something only ssh knows (a Host alias): git may try it as it is.
      if (verdict.explicit) return { url: repo, config };
      throw new Error(`cannot resolve ${location.host}: ${(error as Error).message}`, { cause: error });
    }
    if (resolved.length === 0) throw new Error(`cannot resolve ${location.host}: no address`);
    const addresses: IpAddress[] = [];
    for (const { address } of resolved) {
      const ip = parseIpLiteral(address.replace(/%.*$/, ''));
      const kind: AddressClass = ip ? classifyAddress(ip) : 'reserved';
      // A host named exactly may resolve to an internal address (that is why it was named); a wildcard match may not.
      if (!ip || (kind !== 'public' && !verdict.explicit)) {
        const words = kind === 'public' ? 'not an address' : ADDRESS_CLASS_WORDS[kind];
        throw refusalException(
          this.refusal(
            repo,
            `${kind === 'public' ? 'reserved' : kind}_address`,
            `${location.host} resolves to ${address}, ${words}`,
            address,
          ),
        );
      }
      if (!addresses.some((a) => a.address === ip.address)) addresses.push(ip);
    }
    const bracket = (ip: IpAddress) => (ip.family === 6 ? `[${ip.address}]` : ip.address);
    if (location.scheme === 'http' || location.scheme === 'https') {
      config.push(`http.curloptResolve=${location.host}:${location.port}:${addresses.map(bracket).join(',')}`);
    } else if (location.scheme === 'ssh') {
      config.push(`core.sshCommand=ssh -o HostName=${addresses[0].address} -o HostKeyAlias=${location.host}`);
    } else {
      config.push(`url.git://${bracket(addresses[0])}:${location.port}/.insteadOf=git://${location.authority}/`);
    }
    return { url: repo, config };
  }

  private preparePath(repo: string, path: string): GitTarget {
    // What git opens: the path, else path.git; with symlinks resolved, so nothing can swap it after the check.
    const real = existingReal(path) ?? existingReal(`${path}.git`);
    if (!real) throw new Error(`no repository at ${path}`);
    this.assertAllowed(real);
    // A `.git` file (gitdir: elsewhere) would lead git to another repository: that one must be allowed too.
    const gitFile = `${real}/.git`;
    try {
      if (lstatSync(gitFile).isFile()) {
        const target = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(gitFile, 'utf8').slice(0, 4096))?.[1];
        if (target) {
          const verdict = this.check(posix.resolve(real, target));
          if (!verdict.allowed)
            throw refusalException({ ...verdict.refusal, repo, message: `${repo} is a gitdir link: ${verdict.refusal.message}` });
        }
      }
    } catch (error) {
      if (error instanceof DomainException) throw error;
    }
    return { url: real, config: ['protocol.allow=never', 'protocol.file.allow=always'] };
  }

  private checkPath(repo: string, location: RepositoryLocation, path: string, kind: 'path' | 'file'): RepoVerdict {
    if (kind === 'file' && !this.entries.some((e) => e.kind === 'file')) {
      return this.refuse(repo, 'file_url', 'file:// URLs are refused unless REPO_ALLOW lists a file:// prefix');
    }
    let real: string;
    let dataDir: string;
    try {
      real = resolveServerPath(path);
      dataDir = resolveServerPath(this.options.dataDir);
    } catch (error) {
      return this.refuse(repo, 'unresolvable_path', `the path cannot be resolved: ${(error as Error).message}`);
    }
    if (isUnder(real, dataDir)) return this.refuse(repo, 'data_dir', "it is inside the service's own DATA_DIR");
    for (const entry of this.entries) {
      if (entry.kind !== kind) continue;
      let prefix: string;
      try {
        prefix = resolveServerPath(entry.prefix);
      } catch {
        continue;
      }
      if (isUnder(real, prefix)) return { allowed: true, location, entry: entry.source, explicit: true };
    }
    return this.refuse(
      repo,
      'not_listed',
      real === posix.resolve(path)
        ? 'no entry of the allow-list covers it'
        : `it resolves to ${real}, which no entry of the allow-list covers`,
    );
  }

  private refuse(repo: string, reason: RepoRefusalReason, why: string, address?: string): RepoVerdict {
    return { allowed: false, refusal: this.refusal(repo, reason, why, address) };
  }

  private refusal(repo: string, reason: RepoRefusalReason, why: string, address?: string): RepoRefusal {
    return {
      repo,
      reason,
      message: `Repository ${repo} is not allowed: ${why}.`,
      address,
      allowed: this.describe(),
      hint: this.hint(reason),
    };
  }

  private hint(reason: RepoRefusalReason): string {
    const listed = 'REPO_ALLOW (comma-separated server path prefixes and URL patterns, e.g. /srv/repos,https://github.com/acme/*)';
    switch (reason) {
      case 'malformed':
        return 'Give an absolute server path, or a URL like https://host/owner/repo.git without query, fragment, "." or ".." segments or encoded separators.';
      case 'data_dir':
        return "DATA_DIR holds the service's own database, workspaces and keys; no job may use it, whatever REPO_ALLOW says.";
      case 'file_url':
        return 'Give the repository as a server path instead, or list a file:// prefix in REPO_ALLOW.';
      case 'unresolvable_path':
        return 'Check that the path exists and that the service may read it.';
      case 'not_listed':
        return this.mode === 'none'
          ? `This server binds a shared address and REPO_ALLOW is empty, so no repository is allowed. An operator sets ${listed}.`
          : this.mode === 'default'
            ? `Without REPO_ALLOW only server paths and https URLs are allowed; an operator may set ${listed}.`
            : `An operator may add it to ${listed}.`;
      default:
        return 'Such addresses are refused unless REPO_ALLOW names this exact host (e.g. ssh://git@10.0.0.5/**); wildcard patterns never admit them.';
    }
  }
}

/** The service's policy: REPO_ALLOW, else the default of HOST. */
export function repositoryAccessOf(config: Pick<AppConfig, 'host' | 'dataDir' | 'repositories'>, lookup?: HostLookup): RepositoryAccess {
  return new RepositoryAccess({ allow: config.repositories.allow, loopbackOnly: isLoopback(config.host), dataDir: config.dataDir, lookup });
}

/** The `repo_not_allowed` exception (400) of a refusal. */
export function refusalException(refusal: RepoRefusal): DomainException {
  const { message, ...details } = refusal;
  return new DomainException(CommonErrorCode.RepoNotAllowed, `${message} ${refusal.hint}`, details);
}

/** True for the refusal exception a check or {@link RepositoryAccess.prepare} throws. */
export function isRepoRefusal(error: unknown): error is DomainException {
  return error instanceof DomainException && error.code === CommonErrorCode.RepoNotAllowed;
}

/** `localhost` and names under `.localhost` always mean this machine (RFC 6761). */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

function urlMatches(entry: AllowEntry, location: Extract<RepositoryLocation, { kind: 'url' }>): boolean {
  if (entry.kind !== 'url' || entry.scheme !== location.scheme) return false;
  if (entry.user !== undefined && entry.user !== location.user) return false;
  if (entry.port !== undefined && entry.port !== location.port) return false;
  const host = entry.host;
  if (host.kind === 'exact' && host.host !== location.host) return false;
  if (host.kind === 'suffix' && (location.ip || !location.host.endsWith(`.${host.suffix}`))) return false;
  return !entry.path || entry.path.test(normalizeRepoPath(location.path));
}

function isUnder(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

function existingReal(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/**
 * A server path as the kernel will resolve it: the longest existing prefix through realpath(3)
 * (symlinks and `..` applied in the kernel's order), the rest normalised lexically. Throws when a
 * prefix exists but cannot be resolved (a symlink loop, no permission).
 */
export function resolveServerPath(path: string): string {
  const parts = path.split('/');
  for (let n = parts.length; n >= 1; n--) {
    const prefix = parts.slice(0, n).join('/') || '/';
    try {
      const real = realpathSync.native(prefix);
      const rest = parts.slice(n).join('/');
      return rest ? posix.resolve(real, rest) : real;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
  }
  return posix.resolve(path);
}
