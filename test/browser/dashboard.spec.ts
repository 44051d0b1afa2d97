import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { api, waitFor } from '../support/http';
import { SANDBOX_ENV } from '../support/sandbox';
import { TeamHarness, startTeamHarness } from '../support/team-harness';
import { TestApp, startTestApp } from '../support/test-app';
import { CHROMIUM, ensureWebBuilt, hasChromium, launch, screenshot, seriousViolations } from './browser';
import { CALC_ANALYSIS, CALC_FIX, CALC_PLAN } from '../fixtures/repos/calc-js-fix';

// Small delays so a person (and the test) can watch the job move.
const planner = [
  reply(toolUse('read_file', { path: 'src/calc.js' })),
  { ...reply(toolUse('record_analysis', CALC_ANALYSIS)), delayMs: 300 },
  reply(toolUse('create_plan', CALC_PLAN)),
];
const builder = [
  { ...reply(toolUse('edit_file', CALC_FIX)), delayMs: 300 },
  reply(toolUse('run_tests', {})),
  reply(toolUse('run_lint', {})),
  reply(toolUse('commit_changes', { message: 'Fix subtract' })),
  reply('Fixed subtract; 3 tests pass.'),
];
const reviewer = [reply(toolUse('get_diff', {})), reply(toolUse('submit_review', { verdict: 'approve', summary: 'Correct and tested.' }))];

if (!hasChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} — run \`apt-get install chromium\` (Debian) to run them`);

describe.skipIf(!hasChromium)('the dashboard in a real browser (needs `apt-get install chromium`)', () => {
  let harness: TeamHarness;
  let fake: FakeModel;
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let root: string;
  let n = 0;

  const setup = async (goalFor = (name: string) => `fix the subtract bug in src/calc.js [${name}]`) => {
    const name = `web-${++n}`;
    return { repo: await makeRepo('calc-js', join(root, name)), goal: goalFor(name) };
  };
  const jobStatus = async (id: string) => (await api(t.url, 'GET', `/api/jobs/${id}`)).body.status as string;
  /** Waits until the timeline shows exactly the job's stored events, each once, in order. */
  const expectTimelineComplete = async (id: string) => {
    const timeline = page.getByRole('list', { name: 'Timeline' });
    let stored: { id: number; type: string }[] = [];
    let shown: (string | null)[] = [];
    try {
      await waitFor(
        async () => {
          const all: { id: number; type: string }[] = (await api(t.url, 'GET', `/api/events?jobId=${id}&limit=1000`)).body.items;
          // The job stream ends with the final status; later events (its notification) are not part of it.
          const last = Math.max(...all.filter((e) => e.type === 'status').map((e) => e.id));
          stored = all.filter((e) => e.id <= last);
          shown = (
            await timeline.locator('li[data-event-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id')))
          ).filter((s) => Number(s) <= Number(stored.at(-1)?.id ?? 0));
          return shown.join() === stored.map((e) => String(e.id)).join();
        },
        10_000,
        'the timeline to show every event',
      );
    } catch (error) {
      const missing = stored.filter((e) => !shown.includes(String(e.id))).map((e) => `${e.id}:${e.type}`);
      throw new Error(
        `${(error as Error).message}: ${shown.length} shown, ${stored.length} stored, missing ${missing.join(' ')}, duplicated ${shown.length - new Set(shown).size}`,
        { cause: error },
      );
    }
  };

  beforeAll(async () => {
    ensureWebBuilt();
    harness = await startTeamHarness('aict-web-');
    ({ fake, root } = harness);
    t = await startTestApp({ env: harness.env() });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await harness?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('serves the dashboard at / and its routes, and keeps unknown API paths JSON 404s', async () => {
    const index = await fetch(`${t.url}/jobs/some-id`, { headers: { accept: 'text/html' } });
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    const missing = await fetch(`${t.url}/api/no-such-thing`, { headers: { accept: 'text/html' } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBeTruthy();
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  });

  it('shows a banner on every page when the server has no model key, and none when it has one', async () => {
    const banner = page.locator('.banner', { hasText: 'No model is configured.' });
    await page.goto(`${t.url}/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await waitFor(
      async () => (await api(t.url, 'GET', '/api/health/ready')).body.model?.configured === true,
      5_000,
      'readiness to report the model',
    );
    await page.waitForLoadState('networkidle').catch(() => undefined);
    expect(await banner.count()).toBe(0);

    const bare = await startTestApp({ env: { DATA_DIR: join(root, 'data-no-model'), ...SANDBOX_ENV } });
    try {
      await page.goto(`${bare.url}/jobs`);
      await banner.waitFor();
      expect(await banner.textContent()).toContain('ANTHROPIC_API_KEY');
      await page.getByRole('link', { name: 'Needs attention' }).click();
      await page.getByRole('heading', { name: /Needs attention/ }).waitFor();
      await banner.waitFor();
      await screenshot(page, 'no-model-banner');
    } finally {
      await bare.close();
    }
  });

  it('creates a job from the form, shows how the goal was understood, and watches it finish live', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({ match: { contains: goal }, roles: { planner, builder, reviewer } });
    await page.goto(`${t.url}/jobs?new=1`);
    await page.getByLabel('Goal').fill(goal);
    await page.getByText('Understood as').waitFor();
    expect(await page.locator('.intent-op').textContent()).toBeTruthy();
    await page.getByLabel('Repository').fill(repo);
    await screenshot(page, 'jobs-new-job-form');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    // The page follows the job over its stream: the badge reaches "succeeded" without a reload.
    await page.locator('.page-head [data-status="succeeded"]').waitFor({ timeout: 60_000 });
    expect(await jobStatus(id)).toBe('succeeded');
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText('planner → builder').waitFor();
    await timeline.getByText('reviewer → quality').waitFor();
    // Each event once, in order, as stored.
    await expectTimelineComplete(id);
    // A tool call expands to its input and result.
    const edit = timeline.locator('li[data-event-type="tool_call"]').filter({ hasText: 'edit_file' }).first();
    await edit.locator('summary').click();
    await edit.getByRole('heading', { name: 'Input' }).waitFor();
    expect(await edit.locator('pre').first().textContent()).toContain('return a - b;');
    // The diff, the review and the TruthPack, verified on demand.
    const diff = page.getByRole('table', { name: 'Changes in src/calc.js' });
    await diff.waitFor();
    expect(await diff.locator('tr.diff-add').textContent()).toContain('return a - b;');
    expect(await diff.locator('tr.diff-del').textContent()).toContain('return a + b;');
    await page.locator('.review').getByText('Correct and tested.').waitFor();
    await page.getByRole('button', { name: 'Verify TruthPack' }).click();
    await page.locator('[data-verification="valid"]').waitFor();
    await page.getByRole('button', { name: 'Verify ledger' }).click();
    await page.getByText(/Ledger intact/).waitFor();
    await page
      .getByRole('meter', { name: 'Overall' })
      .waitFor({ timeout: 8_000 })
      .catch(() => undefined);
    await screenshot(page, 'job-detail');

    await page.goto(`${t.url}/jobs`);
    await page.locator(`tr[data-job-id="${id}"] [data-status="succeeded"]`).waitFor();
    await screenshot(page, 'jobs');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'jobs-phone');
    await page.goto(`${t.url}/jobs/${id}`);
    await page.locator('.page-head [data-status="succeeded"]').waitFor();
    await screenshot(page, 'job-detail-phone');
  });

  it('lists a waiting job under Needs attention and resumes it with the answer typed there', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [
          reply(toolUse('request_human_review', { question: 'Should subtract saturate at zero, or go negative?', kind: 'question' })),
          reply(toolUse('record_analysis', CALC_ANALYSIS)),
          reply(toolUse('create_plan', CALC_PLAN)),
        ],
        builder,
        reviewer,
      },
    });
    const id = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    await page.goto(`${t.url}/attention`);
    const card = page.locator(`li[data-job-id="${id}"]`);
    // The job reaches waiting_human while the page is open: the events stream brings it in.
    await card.getByText('Should subtract saturate at zero, or go negative?').waitFor({ timeout: 45_000 });
    await screenshot(page, 'needs-attention');
    await card.getByLabel('Your answer').fill('negative, like normal subtraction');
    await card.getByRole('button', { name: 'Send answer' }).click();
    await waitFor(async () => (await jobStatus(id)) === 'succeeded', 60_000, 'the answered job to finish');
    await page.getByText('Nothing is waiting for you.').waitFor({ timeout: 15_000 });
    const second = fake
      .messageRequests()
      .filter((r) => r.role === 'planner' && JSON.stringify(r.body?.messages).includes(goal) && r.turnIndex === 1);
    expect(JSON.stringify(second[0].body?.messages)).toContain('negative, like normal subtraction');
  });

  it('approves a change the quality gate blocked from its card, seeing the failing tests, review and diff first, and sees it committed, pushed and the job succeeded', async () => {
    const { repo, goal } = await setup();
    // The Builder's edit leaves a test red (commit refused), yet it claims the tests pass.
    const wrong = { ...CALC_FIX, newText: 'function subtract(a, b) {\n  return b - a;' };
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner,
        builder: [
          reply(toolUse('edit_file', wrong)),
          reply(toolUse('run_tests', {})),
          reply(toolUse('commit_changes', { message: 'Fix subtract' })),
          reply('Fixed subtract; tests pass.'),
        ],
        reviewer,
      },
    });
    const id = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    await page.goto(`${t.url}/attention`);
    const card = page.locator(`li[data-job-id="${id}"]`);
    await card.getByText(/quality gate blocked/i).waitFor({ timeout: 45_000 });
    // The evidence is on the card before the decision.
    await card.getByRole('region', { name: 'Failing checks' }).getByText('tests', { exact: true }).waitFor();
    await card.getByRole('region', { name: 'Review' }).getByText('Correct and tested.').waitFor();
    await card.getByRole('region', { name: 'The Builder’s claim' }).getByText('Fixed subtract; tests pass.').waitFor();
    const diff = card.getByRole('table', { name: 'Changes in src/calc.js' });
    await diff.waitFor();
    expect(await diff.locator('tr.diff-add').textContent()).toContain('return b - a;');
    await screenshot(page, 'needs-attention-approval');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'needs-attention-approval-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    // The job page shows the same change and the review while it waits.
    const jobPage = await context.newPage();
    await jobPage.goto(`${t.url}/jobs/${id}`);
    await jobPage.getByRole('table', { name: 'Changes in src/calc.js' }).waitFor();
    await jobPage.locator('.review').getByText('Correct and tested.').first().waitFor();
    await screenshot(jobPage, 'job-detail-waiting-approval');
    await jobPage.close();

    await card.getByRole('button', { name: 'Approve' }).click();
    const decided = page.locator(`li[data-decided="approve"][data-job-id="${id}"]`);
    await decided.getByText(/Committed [0-9a-f]{10} and pushed aict\//).waitFor({ timeout: 60_000 });
    await decided.locator('[data-status="succeeded"]').waitFor();
    await screenshot(page, 'needs-attention-decided');
    const job = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ pushed: true, branch: `aict/${id}` });
    expect(
      execFileSync('git', ['-c', 'safe.directory=*', 'log', '-1', '--format=%B', `aict/${id}`], { cwd: repo, encoding: 'utf8' }),
    ).toMatch(/AICT-Approved-By: .*\n(.|\n)*AICT-Failing-Checks: .*tests/);
    // The question was handled: its notification is read.
    const notes = (await api(t.url, 'GET', '/api/notifications?limit=500')).body.items.filter((x: any) => x.jobId === id);
    expect(notes.find((x: any) => x.kind === 'needs_attention')).toMatchObject({ read: true });
  });

  it('keeps one job page open through a failure, Retry and success: attempt 2, its own timeline section and its own outcome', async () => {
    const { repo, goal } = await setup();
    // The model refuses the Planner's first request once: the first run fails, the retry's run goes through.
    const [first, ...rest] = planner;
    fake.addScenario({
      match: { contains: goal },
      roles: {
        planner: [
          { failTimes: 1, error: { status: 400, type: 'invalid_request_error', message: 'scripted refusal' }, then: first as never },
          ...rest,
        ],
        builder,
        reviewer,
      },
    });
    const id = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    await page.goto(`${t.url}/jobs/${id}`);
    await page.locator('.page-head [data-status="failed"]').waitFor({ timeout: 30_000 });
    await page.getByText('attempt 1', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('attempt 2', { exact: true }).waitFor();
    await page.locator('.page-head [data-status="succeeded"]').waitFor({ timeout: 60_000 });
    expect(await jobStatus(id)).toBe('succeeded');
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.locator('.attempt-separator[data-attempt="2"]').waitFor();
    expect(await timeline.locator('.attempt-separator').allTextContents()).toEqual(['Attempt 1', 'Attempt 2 (current)']);
    await timeline.getByText('reviewer → quality').waitFor();
    // The outcome is the second run's, and the first run's error is gone.
    await page.locator('#outcome-title').waitFor();
    await page.getByRole('table', { name: 'Changes in src/calc.js' }).waitFor();
    const outcome = page.locator('section', { has: page.locator('#outcome-title') });
    await outcome
      .getByText(/succeeded/)
      .first()
      .waitFor();
    expect(await outcome.textContent()).not.toContain('model_rejected');
    await screenshot(page, 'job-detail-retried');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'job-detail-retried-phone');
  });

  it('resumes the job stream after the network drops, without losing or doubling events', async () => {
    const { repo, goal } = await setup();
    const slow = builder.map((turn) => ({ ...turn, delayMs: 700 }));
    fake.addScenario({ match: { contains: goal }, roles: { planner, builder: slow, reviewer } });
    const id = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    await page.addInitScript(() => {
      const Native = window.EventSource;
      (window as any).__sse = [];
      (window as any).EventSource = class extends Native {
        constructor(url: string, init?: EventSourceInit) {
          super(url, init);
          (window as any).__sse.push(`open ${url}`);
          this.addEventListener('error', () => (window as any).__sse.push(`error ${this.readyState}`));
          for (const name of ['event', 'status', 'snapshot', 'complete'])
            this.addEventListener(name, (e) => (window as any).__sse.push(`${name} ${(e as MessageEvent).lastEventId}`));
        }
      };
    });
    await page.goto(`${t.url}/jobs/${id}`);
    await page.locator('[data-stream-state="open"]').waitFor();
    // Cut every connection twice while the job runs: the browser reconnects with Last-Event-ID.
    const server = t.app.getHttpServer() as import('node:http').Server;
    for (let drop = 0; drop < 2; drop++) {
      await page
        .locator('li[data-event-id]')
        .nth(4 + drop * 6)
        .waitFor({ timeout: 30_000 });
      server.closeAllConnections();
      await page
        .locator('[data-stream-state="reconnecting"]')
        .waitFor({ timeout: 5_000 })
        .catch(() => undefined);
    }
    await page.locator('.page-head [data-status="succeeded"]').waitFor({ timeout: 60_000 });
    await expectTimelineComplete(id);
    // It did drop and resume: the stream errored, then reopened after the last event it had.
    const log: string[] = await page.evaluate(() => (window as any).__sse);
    expect(log.filter((l) => l.startsWith('error')).length).toBeGreaterThan(0);
    expect(log.filter((l) => l.startsWith(`open /api/jobs/${id}/stream`)).length).toBeGreaterThan(0);
  });

  it('starts a job from the chat and shows it as a card that opens the job', async () => {
    const probe = await api(t.url, 'GET', '/api/conversations');
    if (probe.status === 404) {
      console.warn('chat API not available yet: chat browser test only takes a screenshot');
      await page.goto(`${t.url}/chat`);
      await screenshot(page, 'chat');
      return;
    }
    const { repo, goal } = await setup();
    fake.addScenario({ match: { contains: goal }, roles: { planner, builder, reviewer } });
    await page.goto(`${t.url}/chat`);
    await page.getByLabel('Repository').fill(repo);
    await page.getByLabel('Message', { exact: true }).fill(goal);
    await page.getByLabel('Message', { exact: true }).press('Enter');
    // The message shows at once; the Coordinator answers in the background with a job card.
    await page.locator('.bubble-user').filter({ hasText: goal }).waitFor();
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    const card = page.locator('a.job-card').first();
    await card.waitFor({ timeout: 20_000 });
    const jobId = await card.getAttribute('data-job-id');
    await waitFor(async () => (await jobStatus(jobId!)) === 'succeeded', 60_000, 'the chat job to finish');
    await page
      .locator('.bubble-assistant')
      .nth(1)
      .waitFor({ timeout: 20_000 })
      .catch(() => undefined);
    await screenshot(page, 'chat');
    await card.click();
    await page.waitForURL(new RegExp(`/jobs/${jobId}$`));
    await page.locator('.page-head [data-status="succeeded"]').waitFor();
  });

  it('has no serious accessibility violations (axe-core) on its pages, at desktop and phone sizes', async () => {
    const { repo, goal } = await setup();
    fake.addScenario({ match: { contains: goal }, roles: { planner, builder, reviewer } });
    const id = (await api(t.url, 'POST', '/api/jobs', { goal, repo })).body.id;
    await waitFor(async () => (await jobStatus(id)) === 'succeeded', 60_000, 'the job to finish');
    const pages: [string, string][] = [
      ['/jobs', 'Jobs'],
      ['/jobs?new=1', 'Jobs'],
      [`/jobs/${id}`, goal],
      ['/attention', 'Needs attention'],
      ['/notifications', 'Notifications'],
      ['/chat', 'Chat'],
      ['/stats', 'Metrics'],
      ['/login', 'Sign in'],
    ];
    const found: string[] = [];
    for (const size of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(size);
      for (const [path, heading] of pages) {
        await page.goto(`${t.url}${path}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        for (const v of await seriousViolations(page))
          found.push(`${size.width}px ${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('shows notifications, metrics and the sign-in page', async () => {
    await page.goto(`${t.url}/notifications`);
    await page.getByRole('heading', { name: /Notifications/ }).waitFor();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const notifications = await api(t.url, 'GET', '/api/notifications');
    if (notifications.status === 200 && notifications.body.items.length) {
      await page.locator('li[data-notification-id]').first().waitFor();
      const unread = notifications.body.unreadCount;
      if (unread > 0) {
        await page
          .locator('li.unread')
          .first()
          .getByRole('button', { name: /^Mark read/ })
          .click();
        await waitFor(
          async () => (await api(t.url, 'GET', '/api/notifications')).body.unreadCount === unread - 1,
          5_000,
          'the unread count to drop',
        );
      }
    }
    await screenshot(page, 'notifications');

    await page.goto(`${t.url}/stats`);
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    const metrics = await api(t.url, 'GET', '/api/metrics');
    if (metrics.status === 200) await page.getByText('Success rate').first().waitFor();
    await screenshot(page, 'metrics');

    await page.goto(`${t.url}/login`);
    await page.getByLabel('Access token').waitFor();
    await screenshot(page, 'sign-in');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/stats`);
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    await screenshot(page, 'metrics-phone');
  });
});

describe.skipIf(!hasChromium)('signing in to the dashboard with access control on (needs `apt-get install chromium`)', () => {
  const TOKEN = 'aict_browser_test_admin_token_0123456789';
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuilt();
    t = await startTestApp({ env: { AUTH: 'on', AUTH_BOOTSTRAP_TOKEN: TOKEN } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('sends a signed-out visitor to sign in, signs in from the login link, and then streams and posts with the session cookie', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${t.url}/jobs?status=failed`);
      await page.waitForURL(/\/login\?next=/);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/jobs?status=failed');
      await page.getByLabel('Access token').fill('aict_wrong_token_000000000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
      await screenshot(page, 'sign-in-failed');

      await page.goto(`${t.url}/login#token=${TOKEN}`);
      await page.waitForURL(`${t.url}/`);
      expect(page.url()).not.toContain(TOKEN);
      await page.getByRole('heading', { name: 'Jobs' }).waitFor();
      const cookies = await context.cookies();
      expect(cookies.some((c) => c.httpOnly)).toBe(true);
      // EventSource carries the cookie: the jobs stream opens.
      await page.locator('[data-stream-state="open"]').first().waitFor();
      // Unsafe requests carry the cookie and X-Requested-With: the goal preview (a POST) works.
      await page.getByRole('button', { name: 'New job' }).click();
      await page.getByLabel('Goal').fill('fix the failing test in src/calc.js');
      await page.getByText('Understood as').waitFor();
      // Signing out ends the session: the next page asks to sign in again.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.goto(`${t.url}/jobs`);
      await page.waitForURL(/\/login\?next=/);
      expect((await context.cookies()).some((c) => c.httpOnly && c.value)).toBe(false);
    } finally {
      await context.close();
    }
  });
});
