// docker-compose.yml, checked offline: PostgreSQL, one API and two workers from this repository's image, wired
// to one database and one signing key, the workers with what bubblewrap needs, and every setting one the
// service reads. With Docker installed, `docker compose config` checks it against the Compose schema too.
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, configKeys, parseDockerfile, read, stages, tool } from './delivery-helpers';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  user?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  cap_add?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
}

const text = read('docker-compose.yml');
/** The file as Compose sees it with nothing set: `${VAR:-default}` becomes the default, `${VAR}` empty. */
function interpolate(source: string, env: Record<string, string> = {}): string {
  return source.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] || fallback || '');
}
const compose = parse(interpolate(text), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { postgres, api, worker } = compose.services;
const app = { api, worker };
const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1]);

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, one API and two workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'worker']);
    expect(api.command).toEqual(['--role', 'api']);
    expect(api.deploy?.replicas ?? 1).toBe(1);
    expect(worker.command).toEqual(['--role', 'worker']);
    expect(worker.deploy?.replicas).toBe(2);
  });

  it('builds the API and the workers from this repository, and pins PostgreSQL to a major.minor version', () => {
    for (const [name, service] of Object.entries(app)) {
      expect(service.build, name).toBe('.');
      expect(service.image, name).toBe(api.image);
    }
    expect(postgres.image).toMatch(/^postgres:\d+\.\d+/);
  });

  it('points every process at the compose database, once it answers', () => {
    const env = postgres.environment!;
    expect(postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    for (const [name, service] of Object.entries(app)) {
      const url = new URL(service.environment!.DATABASE_URL);
      expect(url.hostname, name).toBe('postgres');
      expect(decodeURIComponent(url.username)).toBe(env.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(env.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${env.POSTGRES_DB}`);
      expect(service.depends_on?.postgres.condition, name).toBe('service_healthy');
    }
    // One password setting feeds both sides.
    const set = parse(interpolate(text, { POSTGRES_PASSWORD: 's3cret' }), { merge: true }) as typeof compose;
    expect(new URL(set.services.worker.environment!.DATABASE_URL).password).toBe('s3cret');
    expect(set.services.postgres.environment!.POSTGRES_PASSWORD).toBe('s3cret');
  });

  it('sets only settings the service reads', () => {
    const known = configKeys();
    for (const [name, service] of Object.entries(app)) {
      for (const key of Object.keys(service.environment ?? {})) expect(known, `${name}: ${key}`).toContain(key);
    }
  });

  it('shares one signing key between the API and the workers: a volume the image prepares for its user', () => {
    for (const [name, service] of Object.entries(app)) expect(service.volumes, name).toContain('keys:/data/keys');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['keys', 'pg']));
    const runtime = stages(parseDockerfile(read('Dockerfile'))).at(-1)!;
    const setup = runtime.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(setup).toMatch(/mkdir -p \/data\/keys/);
    expect(setup).toMatch(/chown aict:aict [^\n]*\/data\/keys/);
    // Passed through when set, so a key from the environment wins over the generated one.
    const set = parse(interpolate(text, { TRUTHPACK_SIGNING_KEY: 'ab'.repeat(32) }), { merge: true }) as typeof compose;
    expect(set.services.api.environment!.TRUTHPACK_SIGNING_KEY).toBe('ab'.repeat(32));
    expect(set.services.worker.environment!.TRUTHPACK_SIGNING_KEY).toBe('ab'.repeat(32));
  });

  it('gives the workers what bubblewrap needs, as docs/operations.md and the Kubernetes worker do', () => {
    expect(worker.user).toBe('0');
    expect(worker.cap_add).toEqual(expect.arrayContaining(['SYS_ADMIN', 'NET_ADMIN']));
    expect(worker.security_opt).toEqual(expect.arrayContaining(['seccomp=unconfined', 'apparmor=unconfined']));
    expect(worker.environment!.SANDBOX).toBe('bwrap');
    expect(read('docs/operations.md')).toMatch(/--cap-add SYS_ADMIN --cap-add NET_ADMIN/);
    // The API runs no repository commands and keeps the image's unprivileged user.
    expect(api.user).toBeUndefined();
    expect(api.cap_add).toBeUndefined();
  });

  it('lets a stopping worker drain its jobs before Compose kills it', () => {
    const drainMs = Number(worker.environment!.WORKER_DRAIN_TIMEOUT_MS);
    expect(drainMs).toBeGreaterThan(0);
    expect(seconds(worker.stop_grace_period!) * 1000).toBeGreaterThan(drainMs);
  });

  it('publishes only the API, on loopback unless told otherwise', () => {
    expect(api.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(worker.ports).toBeUndefined();
    expect(postgres.ports).toBeUndefined();
  });

  it('passes `docker compose config` when Docker is installed', { timeout: 60_000 }, (ctx) => {
    const docker = tool('docker');
    if (!docker || spawnSync(docker, ['compose', 'version'], { stdio: 'ignore' }).status !== 0) ctx.skip();
    const run = spawnSync(docker!, ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
