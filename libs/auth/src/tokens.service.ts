import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessScope, APP_CONFIG, AppConfig, DomainException, rawPool, RequestPrincipal } from '@app/common';
import { AuthErrorCode } from './auth.errors';
import { SecretKind, generateSecret, hashSecret, prefixOf, secretMatches } from './token-secret';

/** An access token as listed (never its secret or hash). */
export interface AccessToken {
  id: string;
  name: string;
  prefix: string;
  scopes: AccessScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const LAST_USED_RESOLUTION_MS = 60_000;
const DUMMY_HASH = hashSecret('no such token');
/** Most checked secrets kept at once; past it the cache starts over. */
const CACHE_ENTRIES = 10_000;

/** What authenticate() reads of a secret's row and its parent token's. */
interface AuthRow {
  id: string;
  kind: SecretKind;
  hash: string;
  scopes: AccessScope[];
  name: string;
  prefix: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  parent_id: string | null;
  parent_name: string | null;
  parent_prefix: string | null;
  parent_expires_at: Date | null;
  parent_revoked_at: Date | null;
}

/** Issues, lists, revokes and checks access tokens and the browser sessions made from them. */
@Injectable()
export class TokensService {
  /** Rows of secrets checked within AUTH_TOKEN_CACHE_MS, keyed by the secret's hash (never the secret). */
  private readonly checked = new Map<string, { row: AuthRow; at: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Issues a token; its secret is returned here once and never stored. */
  async create(input: {
    name: string;
    scopes: AccessScope[];
    expiresAt?: Date | null;
    secret?: string;
  }): Promise<{ token: AccessToken; secret: string }> {
    const generated = generateSecret('token');
    const secret = input.secret ?? generated.secret;
    const [row] = await this.dataSource.query(
      `INSERT INTO access_tokens (kind, name, prefix, hash, scopes, expires_at) VALUES ('token', $1, $2, $3, $4, $5) RETURNING *`,
      [input.name, prefixOf(secret), hashSecret(secret), input.scopes, input.expiresAt ?? null],
    );
    return { token: toToken(row), secret };
  }

  async list(): Promise<AccessToken[]> {
    const rows = await this.dataSource.query(`SELECT * FROM access_tokens WHERE kind = 'token' ORDER BY created_at DESC, id`);
    return rows.map(toToken);
  }

  /** Revokes a token and, with it, every session made from it. */
  async revoke(id: string): Promise<AccessToken> {
    const [rows] = await this.dataSource.query(
      `UPDATE access_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND kind = 'token' RETURNING *`,
      [id],
    );
    if (!rows?.length) throw new DomainException(AuthErrorCode.TokenNotFound, `Token ${id} does not exist`);
    this.checked.clear();
    return toToken(rows[0]);
  }

  /** Whether any token was ever issued (the first start issues the admin token). */
  async any(): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT exists(SELECT 1 FROM access_tokens WHERE kind = 'token') AS any`);
    return row.any;
  }

  /** Whether this exact secret is already a token. */
  async exists(secret: string): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT exists(SELECT 1 FROM access_tokens WHERE prefix = $1) AS found`, [prefixOf(secret)]);
    return row.found;
  }

  /** The principal a secret stands for, or null when it is unknown, revoked, expired or of the wrong kind. */
  async authenticate(secret: string, kind: SecretKind): Promise<RequestPrincipal | null> {
    const now = Date.now();
    const key = hashSecret(secret);
    const cached = this.checked.get(key);
    let row: AuthRow | undefined;
    if (cached && now - cached.at < this.config.auth.tokenCacheMs) {
      row = cached.row;
    } else {
      ({
        rows: [row],
      } = await rawPool(this.dataSource).query<AuthRow>(
        `SELECT t.id, t.kind, t.hash, t.scopes, t.name, t.prefix, t.expires_at, t.revoked_at, t.last_used_at,
                p.id AS parent_id, p.name AS parent_name, p.prefix AS parent_prefix, p.expires_at AS parent_expires_at, p.revoked_at AS parent_revoked_at
           FROM access_tokens t LEFT JOIN access_tokens p ON p.id = t.parent_id
          WHERE t.prefix = $1`,
        [prefixOf(secret)],
      ));
    }
    const matches = secretMatches(secret, row?.hash ?? DUMMY_HASH);
    if (!row || !matches || row.kind !== kind) return null;
    // Only secrets that matched are kept, so unknown ones cannot fill the cache.
    if (row !== cached?.row && this.config.auth.tokenCacheMs > 0) {
      if (this.checked.size >= CACHE_ENTRIES) this.checked.clear();
      this.checked.set(key, { row, at: now });
    }
    const dead = (revokedAt: Date | null, expiresAt: Date | null) =>
      revokedAt !== null || (expiresAt !== null && expiresAt.getTime() <= now);
    if (dead(row.revoked_at, row.expires_at)) return null;
    if (row.parent_id && dead(row.parent_revoked_at, row.parent_expires_at)) return null;
    if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      row.last_used_at = new Date(now);
      void this.dataSource
        .query('UPDATE access_tokens SET last_used_at = now() WHERE id = $1', [row.parent_id ?? row.id])
        .catch(() => undefined);
    }
    // A session always has a parent token (the column is set when the session is opened).
    const session = kind === 'session';
    return {
      tokenId: session ? row.parent_id! : row.id,
      prefix: session ? row.parent_prefix! : row.prefix,
      name: session ? row.parent_name! : row.name,
      scopes: row.scopes,
      via: session ? 'cookie' : 'bearer',
      sessionId: session ? row.id : undefined,
    };
  }

  /** Opens a browser session for a token: the session carries its scopes and ends no later than it. */
  async openSession(principal: RequestPrincipal): Promise<{ secret: string; expiresAt: Date }> {
    const { secret, prefix, hash } = generateSecret('session');
    const [row] = await this.dataSource.query(
      `INSERT INTO access_tokens (kind, name, prefix, hash, scopes, parent_id, expires_at)
       SELECT 'session', 'browser session', $1, $2, t.scopes, t.id,
              least(coalesce(t.expires_at, 'infinity'::timestamptz), now() + make_interval(secs => $4 / 1000.0))
         FROM access_tokens t WHERE t.id = $3
       RETURNING expires_at`,
      [prefix, hash, principal.tokenId, this.config.auth.sessionTtlMs],
    );
    return { secret, expiresAt: row.expires_at };
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.dataSource.query(`UPDATE access_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND kind = 'session'`, [
      sessionId,
    ]);
    this.checked.clear();
  }
}

/** A row of access_tokens, as the driver returns it. */
interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  scopes: AccessToken['scopes'];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toToken(row: TokenRow): AccessToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
