import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/jobs', '/api/jobs/{id}/stream', '/api/ledger/verify', '/api/events/stream', '/api/health/ready']));
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
