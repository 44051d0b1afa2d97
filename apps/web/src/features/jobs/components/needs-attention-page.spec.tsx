import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { aJob } from '@/test/fixtures';
import { mockApi, renderWithClient } from '@/test/render';
import { NeedsAttentionPage } from './needs-attention-page';

describe('NeedsAttentionPage', () => {
  it('lists every waiting job with its question, and approves or answers in place', async () => {
    const approval = aJob({
      goal: 'add notes',
      status: 'waiting_human',
      pendingQuestion: { kind: 'approval', question: 'Approve a 260-line change?', askedBy: 'builder', actions: ['approve', 'reject'] },
    });
    const question = aJob({
      goal: 'fix subtract',
      status: 'waiting_human',
      pendingQuestion: { kind: 'question', question: 'Negative or saturate?', askedBy: 'planner', actions: ['answer', 'reject'] },
    });
    const { calls } = mockApi({
      'GET /api/jobs': ({ search }) => ({ items: search.get('status') === 'waiting_human' ? [approval, question] : [], nextCursor: null }),
      'POST /api/jobs/:id/respond': ({ path }) => ({
        ...(path.includes(approval.id) ? approval : question),
        status: 'queued',
        pendingQuestion: null,
      }),
    });
    renderWithClient(<NeedsAttentionPage />);
    const approvalCard = (await screen.findByText('Approve a 260-line change?')).closest('li')!;
    await userEvent.click(within(approvalCard).getByRole('button', { name: 'Approve' }));
    const questionCard = screen.getByText('Negative or saturate?').closest('li')!;
    await userEvent.type(within(questionCard).getByLabelText('Your answer'), 'negative');
    await userEvent.click(within(questionCard).getByRole('button', { name: 'Send answer' }));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/respond'))).toHaveLength(2));
    const [first, second] = calls.filter((c) => c.path.endsWith('/respond'));
    expect(first).toMatchObject({ path: `/api/jobs/${approval.id}/respond`, body: { action: 'approve' } });
    expect(second).toMatchObject({ path: `/api/jobs/${question.id}/respond`, body: { action: 'answer', answer: 'negative' } });
  });

  it('offers only the actions each question takes: no answer box for an approval, no Approve for a question', async () => {
    const approval = aJob({
      status: 'waiting_human',
      pendingQuestion: { kind: 'approval', question: 'Publish a blocked result?', askedBy: 'quality gate', actions: ['approve', 'reject'] },
    });
    const question = aJob({
      status: 'waiting_human',
      pendingQuestion: { kind: 'question', question: 'Which file?', askedBy: 'planner', actions: ['answer', 'reject'] },
    });
    const { calls } = mockApi({
      'GET /api/jobs': ({ search }) => ({ items: search.get('status') === 'waiting_human' ? [approval, question] : [], nextCursor: null }),
      'POST /api/jobs/:id/respond': () => ({ ...question, status: 'aborted', pendingQuestion: null }),
    });
    renderWithClient(<NeedsAttentionPage />);
    const approvalCard = (await screen.findByText('Publish a blocked result?')).closest('li')!;
    expect(within(approvalCard).queryByLabelText('Your answer')).toBeNull();
    expect(within(approvalCard).getByRole('button', { name: 'Approve' })).toBeTruthy();
    const questionCard = screen.getByText('Which file?').closest('li')!;
    expect(within(questionCard).queryByRole('button', { name: 'Approve' })).toBeNull();
    await userEvent.click(within(questionCard).getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/respond'))).toHaveLength(1));
    expect(calls.find((c) => c.path.endsWith('/respond'))).toMatchObject({
      path: `/api/jobs/${question.id}/respond`,
      body: { action: 'reject' },
    });
  });

  it('says when nothing is waiting, and offers where to go next', async () => {
    mockApi({ 'GET /api/jobs': () => ({ items: [], nextCursor: null }) });
    renderWithClient(<NeedsAttentionPage />);
    expect(await screen.findByText(/Nothing is waiting for you\./)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'start a new one' }).getAttribute('href')).toBe('/jobs?new=1');
  });

  it('shows a blocked approval with its failing checks and output, the review, the Builder’s claim set apart, and the diff', async () => {
    const blocked = aJob({
      status: 'waiting_human',
      pendingQuestion: {
        kind: 'approval',
        question: 'The quality gate blocked the result (score 40/100).',
        askedBy: 'quality gate',
        actions: ['approve', 'reject'],
        data: {
          quality: { verdict: 'BLOCK', score: 40, failing: ['tests'] },
          evidence: {
            committed: false,
            builderSummary: 'Fixed subtract; tests pass.',
            reviews: [{ verdict: 'approve', summary: 'Correct and tested.' }],
            tests: {
              passed: 2,
              failed: 1,
              green: false,
              failures: [{ name: 'subtract', excerpt: 'expected 2, got -2' }],
              outputTail: 'not ok 3 - subtract',
            },
            lint: null,
          },
        },
      },
    });
    mockApi({
      'GET /api/jobs': () => ({ items: [blocked], nextCursor: null }),
      'GET /api/jobs/:id/diff': () =>
        new Response(
          'diff --git a/src/calc.js b/src/calc.js\n--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1 +1 @@\n-  return a + b;\n+  return b - a;\n',
          {
            headers: { 'content-type': 'text/x-diff' },
          },
        ),
    });
    renderWithClient(<NeedsAttentionPage />);
    const card = (await screen.findByText(/quality gate blocked/)).closest('li')!;
    const checks = within(card).getByRole('region', { name: 'Failing checks' });
    expect(within(checks).getByText('tests')).toBeTruthy();
    expect(within(checks).getByText('expected 2, got -2')).toBeTruthy();
    expect(within(checks).getByText('not ok 3 - subtract')).toBeTruthy();
    expect(within(card).getByRole('region', { name: 'Review' }).textContent).toContain('Correct and tested.');
    expect(within(card).getByRole('region', { name: 'The Builder’s claim' }).textContent).toMatch(/tests pass\..*A claim, not evidence/);
    expect(await within(card).findByRole('table', { name: 'Changes in src/calc.js' })).toBeTruthy();
    expect(within(card).getByRole('note').textContent).toMatch(/Approve commits this change as it is and pushes it/);
  });

  it('says before the decision when Approve will not commit: the request said not to', async () => {
    const job = aJob({
      status: 'waiting_human',
      pendingQuestion: {
        kind: 'approval',
        question: 'Publish a blocked patch?',
        askedBy: 'quality gate',
        actions: ['approve', 'reject'],
        data: { quality: { verdict: 'BLOCK', failing: ['tests'] }, evidence: { committed: false, onApprove: 'patch_only' } },
      },
    });
    mockApi({ 'GET /api/jobs': () => ({ items: [job], nextCursor: null }), 'GET /api/jobs/:id/diff': () => new Response('') });
    renderWithClient(<NeedsAttentionPage />);
    const card = (await screen.findByText('Publish a blocked patch?')).closest('li')!;
    expect(within(card).getByRole('note').textContent).toBe(
      'The request said not to commit: Approve keeps the change as a patch on the job; nothing is committed or pushed.',
    );
  });

  it('keeps a decided card and says what happened: approved, then committed and pushed', async () => {
    const blocked = aJob({
      status: 'waiting_human',
      pendingQuestion: { kind: 'approval', question: 'Publish a blocked result?', askedBy: 'quality gate', actions: ['approve', 'reject'] },
    });
    let after: any = { ...blocked, status: 'queued', pendingQuestion: null };
    let answered = false;
    mockApi({
      'GET /api/jobs': () => ({ items: answered ? [] : [blocked], nextCursor: null }),
      'POST /api/jobs/:id/respond': () => {
        answered = true;
        return after;
      },
      'GET /api/jobs/:id': () => after,
    });
    const { client } = renderWithClient(<NeedsAttentionPage />);
    const card = (await screen.findByText('Publish a blocked result?')).closest('li')!;
    await userEvent.click(within(card).getByRole('button', { name: 'Approve' }));
    const decided = await screen.findByText(/You approved it\. The job resumes: it commits and pushes the change/);
    expect(decided.closest('li')!.getAttribute('data-decided')).toBe('approve');
    after = { ...after, status: 'succeeded', result: { commit: 'abcdef0123456789', pushed: true, branch: `aict/${blocked.id}` } };
    await client.invalidateQueries();
    expect(await screen.findByText(`You approved it. Committed abcdef0123 and pushed aict/${blocked.id}; the job succeeded.`)).toBeTruthy();
    expect(screen.queryByText('Publish a blocked result?')).toBeNull();
  });
});
