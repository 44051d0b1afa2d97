import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeEventSource } from '@/test/fake-event-source';
import { aJob, anEvent } from '@/test/fixtures';
import { mockApi, renderWithClient } from '@/test/render';
import { JobsLiveProvider } from '../api/use-jobs-live';
import { JobsPage } from './jobs-page';

describe('JobsPage', () => {
  it('lists the team’s jobs and filters them by status and mode', async () => {
    const jobs = [
      aJob({ goal: 'fix subtract', status: 'running' }),
      aJob({ goal: 'explain the parser', status: 'succeeded', mode: 'genius' }),
    ];
    const { calls } = mockApi({
      'GET /api/jobs': ({ search }) => ({
        items: jobs.filter(
          (j) => (!search.get('status') || j.status === search.get('status')) && (!search.get('mode') || j.mode === search.get('mode')),
        ),
        nextCursor: null,
      }),
    });
    renderWithClient(<JobsPage />);
    expect(await screen.findByRole('link', { name: 'fix subtract' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'explain the parser' }).getAttribute('href')).toBe(`/jobs/${jobs[1].id}`);
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'succeeded');
    await waitFor(() => expect(screen.queryByRole('link', { name: 'fix subtract' })).toBeNull());
    expect(calls.at(-1)?.search.get('status')).toBe('succeeded');
    // No role filter: the server's default list is the jobs people asked for (whole team and Builder alone), without evaluations.
    expect(calls.at(-1)?.search.has('role')).toBe(false);
    expect(window.location.search).toBe('?status=succeeded');
    await userEvent.selectOptions(screen.getByLabelText('Mode'), 'mechanic');
    expect(await screen.findByText(/No jobs match these filters\./)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findByRole('link', { name: 'fix subtract' })).toBeTruthy();
  });

  it('offers a first job when there is none, opens the form with the focus in Goal, and Escape closes it back to the button', async () => {
    window.history.replaceState(null, '', '/jobs');
    mockApi({ 'GET /api/jobs': () => ({ items: [], nextCursor: null }) });
    renderWithClient(<JobsPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Start your first job' }));
    const goal = await screen.findByLabelText('Goal');
    await waitFor(() => expect(document.activeElement).toBe(goal));
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByLabelText('Goal')).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'New job' }));
  });

  it('updates a job’s status live from the events stream', async () => {
    const job = aJob({ goal: 'fix subtract', status: 'running' });
    mockApi({ 'GET /api/jobs': () => ({ items: [job], nextCursor: null }) });
    renderWithClient(
      <JobsLiveProvider>
        <JobsPage />
      </JobsLiveProvider>,
    );
    expect(await screen.findByText('Running', { selector: '.badge' })).toBeTruthy();
    await waitFor(() => expect(FakeEventSource.find('/api/events/stream')).toBeTruthy());
    job.status = 'succeeded';
    act(() =>
      FakeEventSource.find('/api/events/stream')!.emit(
        'status',
        anEvent(job.id, 9, { type: 'status', data: { from: 'running', to: 'succeeded' } }),
        9,
      ),
    );
    expect(await screen.findByText('Succeeded', { selector: '.badge' })).toBeTruthy();
  });
});
