import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../apps/server/src/openapi';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
  });
  afterAll(async () => t?.close());

  it('is served at /api/openapi.json and the docs UI at /api/docs', async () => {
    const doc = await api(t.url, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/jobs', '/api/jobs/{id}/stream', '/api/ledger/verify', '/api/events/stream', '/api/health/ready']),
    );
    const ui = await fetch(`${t.url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('gives every operation an explicit operation id', async () => {
    const doc = buildOpenApiDocument(t.app);
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, { operationId?: string }>));
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations) expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', () => {
    const committed = JSON.parse(readFileSync(resolve(__dirname, '../../openapi.json'), 'utf8'));
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument(t.app)))).toEqual(committed);
  });
});

describe('the typed API client (libs/api-client), shared by the CLI and the dashboard', () => {
  const root = resolve(__dirname, '../..');

  it('has types generated from the committed openapi.json (run `npm run api:types` after `npm run openapi`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aict-api-types-'));
    try {
      const out = join(dir, 'schema.d.ts');
      const run = spawnSync(process.execPath, [join(root, 'node_modules/openapi-typescript/bin/cli.js'), 'openapi.json', '-o', out], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(join(root, 'libs/api-client/src/schema.d.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Source files under a directory, tests left out. */
  const sources = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) return sources(path);
      return /\.tsx?$/.test(name) && !/\.spec\.tsx?$/.test(name) ? [path] : [];
    });

  it('is how the CLI and the dashboard reach the API: neither declares its own client or response types', () => {
    for (const app of ['apps/cli/src', 'apps/web/src']) {
      const files = sources(app);
      const users = files.filter((f) => readFileSync(join(root, f), 'utf8').includes("from '@app/api-client'"));
      expect(users.length, `${app} imports @app/api-client`).toBeGreaterThan(0);
      for (const file of files) {
        const text = readFileSync(join(root, file), 'utf8');
        expect(text, `${file} builds its own client`).not.toMatch(/from 'openapi-fetch'|createClient</);
        // Only the client itself and the CLI's event stream call fetch; the dashboard's streams use EventSource.
        if (file !== 'apps/cli/src/cli-api.ts') expect(text, `${file} calls fetch itself`).not.toMatch(/\bfetch\(/);
      }
    }
    // The CLI's answers are the generated schemas, not interfaces written by hand.
    const cli = sources('apps/cli/src')
      .map((f) => readFileSync(join(root, f), 'utf8'))
      .join('\n');
    expect(cli).not.toMatch(/interface (JobView|JobLike|ParsePreview)\b/);
    expect(cli).toMatch(/Schemas\['JobView'\]/);
  });
});
