import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeEventSource } from '@/test/fake-event-source';
import { aJob, anEvent } from '@/test/fixtures';
import { mockApi, renderWithClient } from '@/test/render';
import { JobDetailPage } from './job-detail-page';

const stream = (id: string) => FakeEventSource.find(`/api/jobs/${id}/stream`)!;

describe('JobDetailPage', () => {
  it('builds the timeline live from the stream, once per event even when a reconnect repeats some', async () => {
    const job = aJob();
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [anEvent(job.id, 1, { summary: 'planner reads src/calc.js' })], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByText('planner reads src/calc.js')).toBeTruthy();
    await waitFor(() => expect(stream(job.id)).toBeTruthy());
    act(() => {
      stream(job.id).emit('snapshot', job);
      stream(job.id).emit('event', anEvent(job.id, 1, { summary: 'planner reads src/calc.js' }), 1);
      stream(job.id).emit(
        'event',
        anEvent(job.id, 2, { type: 'handoff', role: 'planner', summary: 'plan ready', data: { from: 'planner', to: 'builder' } }),
        2,
      );
      stream(job.id).drop();
      stream(job.id).emit(
        'event',
        anEvent(job.id, 2, { type: 'handoff', role: 'planner', summary: 'plan ready', data: { from: 'planner', to: 'builder' } }),
        2,
      );
      stream(job.id).emit(
        'event',
        anEvent(job.id, 3, {
          type: 'tool_call',
          summary: 'run_tests → ok',
          data: { tool: 'run_tests', input: {}, ok: true, result: { passed: 3, failed: 0 } },
        }),
        3,
      );
    });
    const timeline = screen.getByRole('list', { name: 'Timeline' });
    await waitFor(() => expect(within(timeline).getAllByRole('listitem')).toHaveLength(3));
    expect(within(timeline).getByText('planner → builder')).toBeTruthy();
    expect(screen.getByText('Reconnecting…')).toBeTruthy();
    await userEvent.click(within(timeline).getByText('run_tests → ok'));
    expect(within(timeline).getByText(/"passed": 3/)).toBeTruthy();
  });

  it('shows a status change from the stream at once', async () => {
    const job = aJob({ status: 'queued' });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    expect((await screen.findByText('Queued')).getAttribute('data-status')).toBe('queued');
    await waitFor(() => expect(stream(job.id)).toBeTruthy());
    job.status = 'running';
    act(() =>
      stream(job.id).emit(
        'status',
        anEvent(job.id, 5, { type: 'status', summary: 'queued → running', data: { from: 'queued', to: 'running' } }),
        5,
      ),
    );
    expect(await screen.findByText('Running', { selector: '.badge' })).toBeTruthy();
  });

  it('says in the intent panel whether the grammar or a model read the goal', async () => {
    const job = aJob({
      intent: {
        operation: 'performance',
        slots: { target: 'src/login.ts' },
        targets: ['src/login.ts'],
        mode: 'mechanic',
        readOnly: false,
        constraints: [],
        confidence: 0.8,
        span: '',
        proof: {
          inputHash: 'ab'.repeat(32),
          grammarHash: 'ef'.repeat(32),
          grammarVersion: '2.0.0',
          ruleId: 'model',
          pattern: '',
          normalized: 'make the login faster',
          matchedText: 'make the login faster',
          slotSpans: [],
        },
        source: {
          kind: 'model',
          ruleId: 'model',
          model: 'claude-haiku-4-5',
          requestId: 'req_7',
          promptHash: 'cd'.repeat(32),
          grammarHash: 'ef'.repeat(32),
          grammarVersion: '2.0.0',
        },
      },
    });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const line = (await screen.findByText('req_7')).closest('.intent-source')!;
    expect(line.textContent).toContain('model');
    expect(line.textContent).toContain('claude-haiku-4-5');
    expect(line.textContent).toContain('cdcdcdcdcdcd');
  });

  it('meters the budget against the caps', async () => {
    const job = aJob({ usage: { steps: 36, tokens: 50000, costCents: 12, wallMs: 30000 } });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const steps = await screen.findByRole('meter', { name: 'Steps' });
    expect(steps.getAttribute('aria-valuenow')).toBe('36');
    expect(steps.className).toContain('meter-warn');
    expect(screen.getByRole('meter', { name: 'Cost' }).getAttribute('aria-valuetext')).toBe('$0.120 of $1.00');
  });

  it('shows the internal jobs started for it (its evaluation), which the jobs list leaves out', async () => {
    const job = aJob({
      status: 'succeeded',
      children: [
        {
          id: '99999999-9999-4999-8999-999999999999',
          role: 'evaluator',
          status: 'failed',
          run: 1,
          usage: { steps: 2, tokens: 900, costCents: 0.4, wallMs: 800 },
          error: { code: 'model_unavailable', message: 'the model did not answer' },
          createdAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:00:01.000Z',
        },
      ],
    });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'GET /api/jobs/:id/evaluation': () =>
        new Response(JSON.stringify({ error: { code: 'not_found', message: 'none' } }), { status: 404 }),
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const link = await screen.findByRole('link', { name: 'evaluator job for run 1' });
    expect(link.getAttribute('href')).toBe('/jobs/99999999-9999-4999-8999-999999999999');
    expect(link.closest('li')!.textContent).toContain('model_unavailable');
  });

  it('answers the job’s question in place', async () => {
    const job = aJob({
      status: 'waiting_human',
      pendingQuestion: { kind: 'question', question: 'Should subtract go negative?', askedBy: 'planner', actions: ['answer', 'reject'] },
    });
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'POST /api/jobs/:id/respond': () => ({ ...job, status: 'queued', pendingQuestion: null }),
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByText('Should subtract go negative?')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Your answer'), 'yes, like normal subtraction');
    await userEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path.endsWith('/respond'))?.body).toEqual({ action: 'answer', answer: 'yes, like normal subtraction' }),
    );
    expect(await screen.findByText('Queued')).toBeTruthy();
  });

  it('settles an escalation in place: genius mode with one click, or the cap it reached raised to what the user types', async () => {
    const job = aJob({
      status: 'waiting_human',
      pendingQuestion: {
        kind: 'escalation',
        question: 'Job reached a cap in mechanic mode: The planner used its share of the job’s tool calls (15).',
        askedBy: 'budget',
        actions: ['escalate', 'raise_cap', 'reject'],
        data: {
          trigger: { kind: 'cap', code: 'step_limit', cap: 'maxSteps' },
          raise: { cap: 'maxSteps', current: 60, suggested: 120, max: 1000 },
        },
      },
    });
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      // Answered with the job as it was, so both choices can be tried on one page.
      'POST /api/jobs/:id/respond': () => job,
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const field = await screen.findByLabelText('Raise the tool calls cap (60 steps) to');
    expect((field as HTMLInputElement).value).toBe('120');
    // No answer box: an escalation is settled by its choices.
    expect(screen.queryByLabelText('Your answer')).toBeNull();
    await userEvent.clear(field);
    await userEvent.type(field, '50');
    expect(screen.getByRole('button', { name: 'Raise the cap' }).hasAttribute('disabled')).toBe(true);
    await userEvent.clear(field);
    await userEvent.type(field, '90');
    await userEvent.click(screen.getByRole('button', { name: 'Raise the cap' }));
    await waitFor(() =>
      expect(calls.filter((c) => c.path.endsWith('/respond')).map((c) => c.body)).toEqual([{ action: 'raise_cap', maxSteps: 90 }]),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Continue in genius mode' }));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/respond')).at(-1)?.body).toEqual({ action: 'escalate' }));
  });

  it('offers a job a cap stopped the same choices on retry: genius mode, or that cap raised (wall time in minutes)', async () => {
    const job = aJob({
      status: 'failed',
      mode: 'mechanic',
      caps: { maxSteps: 40, maxTokens: 200000, maxCostCents: 100, maxWallMs: 600000 },
      error: { code: 'time_limit', message: 'The job ran out of wall time (10 min).' },
    });
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'GET /api/jobs/:id/diff': () => new Response('', { headers: { 'content-type': 'text/x-diff' } }),
      'GET /api/jobs/:id/evaluation': () => new Response(null, { status: 404 }),
      'GET /api/jobs/:id/truthpack': () => new Response(null, { status: 404 }),
      'POST /api/jobs/:id/retry': () => job,
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const field = await screen.findByLabelText('Raise the wall time cap (10 min) to');
    expect((field as HTMLInputElement).value).toBe('20');
    await userEvent.click(screen.getByRole('button', { name: 'Retry with the cap raised' }));
    await waitFor(() => expect(calls.find((c) => c.path.endsWith('/retry'))?.body).toEqual({ maxWallMs: 1_200_000 }));
    await userEvent.click(screen.getByRole('button', { name: 'Retry in genius mode' }));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/retry')).at(-1)?.body).toEqual({ mode: 'genius' }));
  });

  it('says who last approved the job, through what, and to which question', async () => {
    const job = aJob({
      status: 'queued',
      lastResponse: {
        action: 'approve',
        answer: null,
        by: 'token:aict_AbCdEfGh',
        via: { channel: 'chat', auth: 'bearer', conversationId: '22222222-2222-4222-8222-222222222222' },
        question: { kind: 'approval', question: 'The quality gate blocked the result. Approve to publish it anyway?' },
        escalation: null,
        respondedAt: new Date().toISOString(),
      },
    });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const line = await screen.findByLabelText('Last response');
    expect(line.textContent).toMatch(
      /^Approved by token:aict_AbCdEfGh in chat \(The quality gate blocked the result\. Approve to publish it anyway\?\) · /,
    );
  });

  it('shows the finished job’s diff, review, evaluation, ledger and a verified TruthPack', async () => {
    const statement = {
      type: 'tdln-truthpack-statement/1',
      jobId: '',
      repository: '/srv/repos/calc',
      baseCommit: '1f0e3c5a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f',
      headCommit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
      root: 'ab'.repeat(32),
      itemCount: 2,
      sealedAt: '2026-12-05T10:15:00.000Z',
      keyId: '0123456789abcdef',
    };
    const verification = {
      valid: true,
      intact: true,
      format: 'bound' as const,
      keyTrust: 'trusted' as const,
      publicKey: 'cd'.repeat(32),
      keyId: '0123456789abcdef',
      serverKeyId: '0123456789abcdef',
      signedByServerKey: true,
      statement,
      errors: [],
    };
    const job = aJob({
      status: 'succeeded',
      result: {
        answer: { text: 'Fixed **subtract**.', citations: [] },
        plan: { steps: [{ title: 'Use a - b in subtract', files: ['src/calc.js'] }], testStrategy: 'node --test' },
        reviews: [{ verdict: 'approve', summary: 'Correct and tested.' }],
        quality: { verdict: 'OK' },
      },
    });
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/diff': () =>
        new Response(
          'diff --git a/src/calc.js b/src/calc.js\n--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1,1 +1,1 @@\n-  return a + b;\n+  return a - b;\n',
          { headers: { 'content-type': 'text/x-diff' } },
        ),
      'GET /api/jobs/:id/evaluation': () => ({
        jobId: job.id,
        correctness: 1,
        efficiency: 0.8,
        honesty: 1,
        safety: 1,
        overall: 0.95,
        flags: [],
        feedback: 'Good.',
        measurements: {},
      }),
      'GET /api/jobs/:id/truthpack': () => ({
        jobId: job.id,
        root: 'ab'.repeat(32),
        size: 2,
        pack: { root: 'ab'.repeat(32) },
        items: [{ kind: 'plan' }, { kind: 'patch' }],
        proofs: [],
        publicKey: 'cd'.repeat(32),
        verification: { ...verification, itemsIncluded: true },
        createdAt: '',
      }),
      'POST /api/truthpacks/verify': () => verification,
      'GET /api/jobs/:id/ledger': () => [
        {
          seq: 7,
          ts: '',
          kind: 'truthpack.sealed',
          actor: 'system',
          jobId: job.id,
          conversationId: null,
          traceId: null,
          summary: 'sealed',
          data: {},
          prevHash: null,
          hash: null,
          leafIndex: 6,
        },
      ],
    });
    statement.jobId = job.id;
    renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByRole('table', { name: 'Changes in src/calc.js' })).toBeTruthy();
    expect(screen.getByText('Use a - b in subtract')).toBeTruthy();
    expect(screen.getByText('Correct and tested.')).toBeTruthy();
    expect((await screen.findByRole('meter', { name: 'Overall' })).getAttribute('aria-valuenow')).toBe('95');
    expect(await screen.findByText('truthpack.sealed')).toBeTruthy();
    // What the signature binds, and whose key signed it, as checked when the pack was read.
    expect(await screen.findByText('/srv/repos/calc')).toBeTruthy();
    expect(screen.getByText('1f0e3c5a9b7d')).toBeTruthy();
    expect(screen.getByText('9a8b7c6d5e4f')).toBeTruthy();
    expect(document.querySelector('[data-key]')?.textContent).toBe('this server’s key');
    expect(document.querySelector('[data-read-verification]')?.getAttribute('data-read-verification')).toBe('valid');
    await userEvent.click(await screen.findByRole('button', { name: 'Verify TruthPack' }));
    await waitFor(() => expect(document.querySelector('[data-verification]')?.getAttribute('data-verification')).toBe('valid'));
    // Checked against the server's key, never against the key the pack names.
    expect(calls.find((c) => c.path === '/api/truthpacks/verify')?.body).toEqual({ pack: { root: 'ab'.repeat(32) } });
  });

  it('says when a TruthPack was signed by another key than the server’s, or is a legacy pack', async () => {
    const job = aJob({ status: 'succeeded', result: {} });
    const otherKey = {
      valid: false,
      intact: true,
      format: 'bound' as const,
      keyTrust: 'other_key' as const,
      publicKey: 'ef'.repeat(32),
      keyId: 'aaaaaaaaaaaaaaaa',
      serverKeyId: 'bbbbbbbbbbbbbbbb',
      signedByServerKey: false,
      statement: null,
      errors: [{ code: 'key_mismatch', message: 'signed by key aaaaaaaaaaaaaaaa, not by the trusted key bbbbbbbbbbbbbbbb', path: null }],
      itemsIncluded: true,
    };
    let verification: Record<string, unknown> = otherKey;
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'GET /api/jobs/:id/truthpack': () => ({
        jobId: job.id,
        root: 'ab'.repeat(32),
        size: 1,
        pack: {},
        items: [{ kind: 'intent' }],
        proofs: [],
        publicKey: 'ef'.repeat(32),
        verification,
        createdAt: '',
      }),
    });
    const { unmount } = renderWithClient(<JobDetailPage id={job.id} />);
    const other = await screen.findByText(/Signed by another key \(aaaaaaaaaaaaaaaa\), not this server’s current key/);
    expect(other.getAttribute('data-read-verification')).toBe('other-key');
    expect(document.querySelector('[data-key]')?.textContent).toBe('not this server’s current key (bbbbbbbbbbbbbbbb)');
    unmount();

    verification = { ...otherKey, valid: true, format: 'legacy', keyTrust: 'trusted', signedByServerKey: true, errors: [] };
    renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByText(/Legacy: consistency and root signature only, not bound to a job/)).toBeTruthy();
    expect(screen.getByText(/none: a legacy pack/)).toBeTruthy();
  });

  it('follows the job through Retry on one open page: a new stream for attempt 2, its own timeline section, result and evaluation', async () => {
    const failed = aJob({
      status: 'failed',
      run: 1,
      error: { code: 'no_result', message: 'The Planner finished without a plan' } as never,
    });
    let current: any = failed;
    const evaluations: (string | null)[] = [];
    mockApi({
      'GET /api/jobs/:id': () => current,
      'GET /api/events': () => ({ items: [anEvent(failed.id, 1, { summary: 'first run' })], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'GET /api/jobs/:id/truthpack': () => new Response('{"error":{"code":"not_found","message":"none"}}', { status: 404 }),
      'GET /api/jobs/:id/evaluation': ({ search }) => {
        evaluations.push(search.get('run'));
        return search.get('run') === '2'
          ? {
              jobId: failed.id,
              run: 2,
              correctness: 1,
              efficiency: 1,
              honesty: 1,
              safety: 1,
              overall: 1,
              flags: [],
              feedback: 'second run',
            }
          : {
              jobId: failed.id,
              run: 1,
              correctness: 0,
              efficiency: 0,
              honesty: 0,
              safety: 0,
              overall: 0,
              flags: [],
              feedback: 'first run scored',
            };
      },
      'POST /api/jobs/:id/retry': () => {
        current = { ...failed, status: 'queued', run: 2, error: null };
        return current;
      },
    });
    renderWithClient(<JobDetailPage id={failed.id} />);
    expect(await screen.findByText('first run scored')).toBeTruthy();
    await waitFor(() => expect(stream(failed.id)).toBeTruthy());
    act(() => stream(failed.id).emit('complete', {}));
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('attempt 2')).toBeTruthy();
    // A new stream follows the new run.
    await waitFor(() => expect(stream(failed.id)).toBeTruthy());
    act(() => {
      stream(failed.id).emit(
        'status',
        anEvent(failed.id, 2, {
          type: 'status',
          summary: 'failed → queued: retry',
          data: { from: 'failed', to: 'queued', reason: 'retry', run: 2 },
        }),
        2,
      );
      stream(failed.id).emit('event', anEvent(failed.id, 3, { summary: 'second run works' }), 3);
    });
    const timeline = screen.getByRole('list', { name: 'Timeline' });
    await within(timeline).findByText('second run works');
    expect([...timeline.querySelectorAll('.attempt-separator')].map((li) => li.textContent)).toEqual(['Attempt 1', 'Attempt 2 (current)']);
    current = { ...current, status: 'succeeded', result: { answer: { text: 'Job done: fixed.' } } };
    act(() => {
      stream(failed.id).emit(
        'status',
        anEvent(failed.id, 4, { type: 'status', summary: 'running → succeeded', data: { from: 'running', to: 'succeeded' } }),
        4,
      );
      stream(failed.id).emit('complete', {});
    });
    expect(await screen.findByText('Job done: fixed.')).toBeTruthy();
    expect(await screen.findByText('second run')).toBeTruthy();
    expect(evaluations).toContain('2');
    expect(screen.queryByText('first run scored')).toBeNull();
  });

  it('keeps what it showed under a reconnecting banner when the server goes away, and retries on demand', async () => {
    const job = aJob({ status: 'running', goal: 'fix subtract while offline' });
    let down = false;
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => {
        if (down) throw new TypeError('Failed to fetch');
        return job;
      },
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    const { client } = renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByText('fix subtract while offline')).toBeTruthy();
    down = true;
    await act(() => client.refetchQueries({ queryKey: ['jobs', 'detail', job.id] }));
    const banner = await screen.findByText(/Reconnecting… the server cannot be reached/);
    expect(screen.getByText('fix subtract while offline')).toBeTruthy();
    expect(screen.queryByText(/Failed to fetch/)).toBeNull();
    down = false;
    const before = calls.length;
    await userEvent.click(within(banner.closest('div')!).getByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(screen.queryByText(/Reconnecting… the server/)).toBeNull());
    expect(calls.length).toBeGreaterThan(before);
  });

  it('never shows a success answer as the outcome of a failed job, and does not say an agent is at work while it waits for you', async () => {
    const job = aJob({
      status: 'failed',
      error: { code: 'uncommitted_changes', message: 'The change was left uncommitted' } as never,
      result: { answer: { text: 'Job x succeeded: Fixed multiply. Tests pass' } },
    });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    expect(await screen.findByText(/The change was left uncommitted/)).toBeTruthy();
    expect(screen.queryByText(/succeeded: Fixed multiply/)).toBeNull();
  });

  it('lists the quality checks with their words (lint "not configured" passes) and offers jump links past the timeline', async () => {
    const job = aJob({
      status: 'succeeded',
      result: {
        quality: {
          verdict: 'OK',
          failing: [],
          checks: [
            { id: 'tests', status: 'pass', message: '3 passed' },
            { id: 'lint', status: 'pass', message: 'not configured: the repository has no linter' },
          ],
        },
      },
    });
    mockApi({
      'GET /api/jobs/:id': () => job,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
    });
    renderWithClient(<JobDetailPage id={job.id} />);
    const checks = await screen.findByRole('list', { name: 'Quality checks', hidden: true });
    expect(within(checks).getByText('lint').closest('li')!.textContent).toContain('not configured: the repository has no linter');
    expect(screen.queryByText(/failing: lint/)).toBeNull();
    const jump = screen.getByRole('navigation', { name: 'Jump to' });
    expect(within(jump).getByRole('link', { name: 'Changes' }).getAttribute('href')).toBe('#diff-title');
    expect(document.getElementById('diff-title')).toBeTruthy();
  });

  it('cancels a running job and retries a failed one', async () => {
    const running = aJob({ status: 'running' });
    const { calls } = mockApi({
      'GET /api/jobs/:id': () => running,
      'GET /api/events': () => ({ items: [], nextCursor: null }),
      'GET /api/jobs/:id/ledger': () => [],
      'POST /api/jobs/:id/cancel': () => ({ ...running, status: 'cancelling' }),
    });
    renderWithClient(<JobDetailPage id={running.id} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    expect(await screen.findByText('Cancelling')).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST' && c.path === `/api/jobs/${running.id}/cancel`)).toBe(true);
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });
});
