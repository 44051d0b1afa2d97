import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel, startFakeModel } from '../fake-model/fake-model-server';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

/**
 * A host where bubblewrap is installed but cannot run (a container without user namespaces): the
 * worker proves it at start-up, says what to fix in the log, readiness and metrics show it, and a
 * job that must run tests fails at once instead of parking for approval of untested work.
 */
describe('a worker whose sandbox cannot run', () => {
  let fake: FakeModel;
  let t: TestApp;
  let root: string;
  const logLines: string[] = [];
  const path = process.env.PATH;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'aict-sandbox-readiness-'));
    chmodSync(root, 0o777);
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n', { mode: 0o755 });
    // The sandbox looks for bwrap on the server's PATH: this fake one comes first.
    process.env.PATH = `${bin}:${path}`;
    fake = await startFakeModel();
    const logs = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestApp({
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, DATA_DIR: join(root, 'data'), LOG_LEVEL: 'info' },
      logDestination: logs,
    });
  });
  afterAll(async () => {
    process.env.PATH = path;
    await t?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('says what is wrong and how to fix it in the log, in /api/health/ready and in the metrics', async () => {
    const ready = await waitFor(
      async () => {
        const res = await api(t.url, 'GET', '/api/health/ready');
        return res.body.sandbox?.state === 'unavailable' ? res : undefined;
      },
      15_000,
      'the sandbox state in readiness',
    );
    expect(ready.status).toBe(200);
    expect(ready.body.sandbox).toMatchObject({
      state: 'unavailable',
      message: expect.stringContaining('setting up uid map: Permission denied'),
      fix: expect.stringContaining('apt-get install bubblewrap'),
      workers: { ok: 0, unavailable: 1 },
    });
    const logged = logLines.map((l) => JSON.parse(l)).filter((l) => l.component === 'sandbox' && l.level >= 50);
    expect(logged).toHaveLength(1);
    expect(logged[0].msg).toMatch(/sandbox_unavailable.*Fix: install bubblewrap/);
    expect((await api(t.url, 'GET', '/api/metrics')).body.workers.sandbox).toEqual({ ok: 0, disabled: 0, unavailable: 1 });
  });

  it('fails a job that must run tests at once with sandbox_unavailable, without asking the model or a person', async () => {
    const repo = await makeRepo('calc-js', join(root, 'calc'));
    const created = await api(t.url, 'POST', '/api/jobs', { goal: 'fix the subtraction bug in src/calc.js', repo });
    expect(created.status).toBe(201);
    const job = await waitFor(
      async () => {
        const res = await api(t.url, 'GET', `/api/jobs/${created.body.id}`);
        return ['failed', 'succeeded', 'waiting_human', 'aborted'].includes(res.body.status) ? res.body : undefined;
      },
      20_000,
      'the job to end',
    );
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'sandbox_unavailable', message: expect.stringContaining('apt-get install bubblewrap') });
    expect(fake.messageRequests()).toHaveLength(0);
  });
});
