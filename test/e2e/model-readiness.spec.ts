import { afterEach, describe, expect, it } from 'vitest';
import { TestApp, startTestApp } from '../support/test-app';
import { api } from '../support/http';

describe('readiness says whether a model is configured', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports no model when no key is set, so the dashboard can say so', async () => {
    t = await startTestApp({ env: { ANTHROPIC_API_KEY: '' } });
    const ready = await api(t.url, 'GET', '/api/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.model).toEqual({ configured: false, models: { mechanic: 'claude-haiku-4-5', genius: 'claude-sonnet-4-6' } });
  });

  it('reports the model of each mode when a key is set, never the key', async () => {
    t = await startTestApp({ env: { ANTHROPIC_API_KEY: 'sk-secret-for-readiness', MODEL_MECHANIC: 'claude-small' } });
    const ready = await api(t.url, 'GET', '/api/health/ready');
    expect(ready.body.model).toEqual({ configured: true, models: { mechanic: 'claude-small', genius: 'claude-sonnet-4-6' } });
    expect(JSON.stringify(ready.body)).not.toContain('sk-secret');
  });
});
