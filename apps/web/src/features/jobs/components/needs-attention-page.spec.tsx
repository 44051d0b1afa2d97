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

  it('says when nothing is waiting', async () => {
    mockApi({ 'GET /api/jobs': () => ({ items: [], nextCursor: null }) });
    renderWithClient(<NeedsAttentionPage />);
    expect(await screen.findByText('Nothing is waiting for you.')).toBeTruthy();
  });
});
