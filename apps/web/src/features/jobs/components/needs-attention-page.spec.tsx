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
      pendingQuestion: { kind: 'approval', question: 'Approve a 260-line change?', askedBy: 'builder' },
    });
    const question = aJob({
      goal: 'fix subtract',
      status: 'waiting_human',
      pendingQuestion: { kind: 'question', question: 'Negative or saturate?', askedBy: 'planner' },
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

  it('says when nothing is waiting', async () => {
    mockApi({ 'GET /api/jobs': () => ({ items: [], nextCursor: null }) });
    renderWithClient(<NeedsAttentionPage />);
    expect(await screen.findByText('Nothing is waiting for you.')).toBeTruthy();
  });
});
