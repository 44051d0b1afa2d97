/** What a secret is replaced with wherever it would be written. */
export const REDACTED = '[redacted]';

// Shapes of secrets the service issues or is given, redacted even when their value is unknown here:
// access tokens and session secrets (aict_, aicts_) and Anthropic keys.
const SECRET_SHAPES = /\baicts?_[A-Za-z0-9_-]{20,}|\bsk-ant-[A-Za-z0-9_-]{10,}/g;
// Shorter values would mangle ordinary text; config requires secrets longer than this.
const MIN_SECRET_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns `value` with every occurrence of the given secrets (and of token- and key-shaped strings
 * when `shapes` is on) replaced by {@link REDACTED}, walking arrays and plain objects.
 */
export function redact<T>(value: T, secrets: readonly string[], options: { shapes?: boolean } = {}): T {
  return redactorOf(secrets, options.shapes ?? true)(value);
}

function redactorOf(secrets: readonly string[], shapes: boolean): <T>(value: T) => T {
  const known = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const pattern = known.length > 0 ? new RegExp(known.map(escapeRegExp).join('|'), 'g') : null;
  const text = (s: string): string => {
    let out = pattern ? s.replace(pattern, REDACTED) : s;
    if (shapes) out = out.replace(SECRET_SHAPES, REDACTED);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  return <T>(value: T) => walk(value) as T;
}

/**
 * The secrets this process knows (model key, webhook secrets, bootstrap token), registered once at
 * start-up from the configuration. Logs, events and ledger entries pass through it before they are
 * written; it is process-wide because the logger exists before any module does.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private all = redactorOf([], true);
  private knownOnly = redactorOf([], false);

  /** Adds secrets (and their JSON-escaped forms, as they appear inside log lines). */
  register(...values: (string | undefined)[]): void {
    for (const value of values) {
      if (!value || value.length < MIN_SECRET_LENGTH) continue;
      this.secrets.add(value);
      this.secrets.add(JSON.stringify(value).slice(1, -1));
    }
    this.all = redactorOf([...this.secrets], true);
    this.knownOnly = redactorOf([...this.secrets], false);
  }

  /** Redacts known secrets and secret-shaped strings. */
  redact<T>(value: T): T {
    return this.all(value);
  }

  /** Redacts known secrets only (responses may show a token that was just created, once). */
  redactKnown<T>(value: T): T {
    return this.knownOnly(value);
  }
}

/** The process's redactor. */
export const secretRedactor = new SecretRedactor();

/** Shorthand for `secretRedactor.redact`: use before anything is logged, recorded or stored. */
export function redactSecrets<T>(value: T): T {
  return secretRedactor.redact(value);
}
