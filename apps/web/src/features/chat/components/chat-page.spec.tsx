import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeEventSource } from '@/test/fake-event-source';
import { mockApi, renderWithClient } from '@/test/render';
import { ChatPage } from './chat-page';

const CONVERSATION = {
  id: 'c0000000-0000-4000-8000-000000000001',
  title: 'Fix subtract',
  defaultRepo: '/srv/repos/calc',
  createdAt: '2026-11-25T10:00:00Z',
  updatedAt: '2026-11-25T10:05:00Z',
};
const message = (id: string, role: 'user' | 'assistant', content: string, extra: object = {}) => ({
  id,
  conversationId: CONVERSATION.id,
  role,
  content,
  jobId: null,
  data: {},
  createdAt: `2026-11-25T10:0${id.slice(-1)}:00Z`,
  ...extra,
});

describe('ChatPage', () => {
  it('lists conversations and shows the open one as bubbles, with markdown rendered safely', async () => {
    mockApi({
      'GET /api/conversations': () => ({ items: [CONVERSATION], nextCursor: null }),
      'GET /api/messages': () => ({
        items: [message('m1', 'user', 'fix subtract'), message('m2', 'assistant', 'On it: **bug_fix** <img src=x onerror=alert(1)>')],
        nextCursor: null,
      }),
    });
    const { container } = renderWithClient(<ChatPage conversationId={CONVERSATION.id} />);
    expect((await screen.findByRole('link', { name: /Fix subtract/ })).getAttribute('aria-current')).toBe('page');
    const messages = screen.getByRole('list', { name: 'Messages' });
    await within(messages).findByText('fix subtract');
    expect(container.querySelector('.bubble-user')?.textContent).toContain('fix subtract');
    expect(container.querySelector('.bubble-assistant strong')?.textContent).toBe('bug_fix');
    expect(container.querySelector('.bubble-assistant img')?.getAttribute('onerror')).toBeNull();
  });

  it('shows a sent message at once, without waiting for the reply', async () => {
    let release!: () => void;
    const { calls } = mockApi({
      'GET /api/conversations': () => ({ items: [CONVERSATION], nextCursor: null }),
      'GET /api/messages': () => ({ items: [], nextCursor: null }),
      'POST /api/chat': () =>
        new Promise<Response>(
          (resolve) =>
            (release = () => resolve(new Response(JSON.stringify({ conversationId: CONVERSATION.id, messageId: 'm9' }), { status: 202 }))),
        ),
    });
    const { container } = renderWithClient(<ChatPage conversationId={CONVERSATION.id} />);
    await screen.findByText(/Ask the team/);
    await userEvent.type(screen.getByLabelText('Message', { selector: 'textarea' }), 'what is job 42 doing?{Enter}');
    expect(container.querySelector('.bubble-pending')?.textContent).toContain('what is job 42 doing?');
    expect((screen.getByLabelText('Message', { selector: 'textarea' }) as HTMLTextAreaElement).value).toBe('');
    expect(calls.find((c) => c.path === '/api/chat')?.body).toMatchObject({
      message: 'what is job 42 doing?',
      conversationId: CONVERSATION.id,
    });
    release();
    await waitFor(() => expect(container.querySelector('.bubble-pending')).toBeNull());
  });

  it('follows the Coordinator live: status indicator, new messages once, and job cards that open the job', async () => {
    mockApi({
      'GET /api/conversations': () => ({ items: [CONVERSATION], nextCursor: null }),
      'GET /api/messages': () => ({ items: [message('m1', 'user', 'fix subtract')], nextCursor: null }),
    });
    const { container } = renderWithClient(<ChatPage conversationId={CONVERSATION.id} />);
    await screen.findByText('fix subtract');
    await waitFor(() => expect(FakeEventSource.find('/api/chat/stream')).toBeTruthy());
    const stream = FakeEventSource.find('/api/chat/stream')!;
    expect(stream.url).toBe(`/api/chat/stream?conversationId=${CONVERSATION.id}`);
    act(() => stream.emit('status', { state: 'thinking' }, 10));
    expect(await screen.findByText('Thinking…')).toBeTruthy();
    const started = message('m2', 'assistant', 'Started job **j1**.', {
      jobId: 'j0000000-0000-4000-8000-000000000001',
      data: { jobCard: { id: 'j1', status: 'queued', mode: 'mechanic' } },
    });
    act(() => {
      stream.emit('message', started, 11);
      stream.emit('message', started, 11);
      stream.emit('status', { state: 'working', jobId: started.jobId }, 12);
    });
    await waitFor(() => expect(container.querySelector('[data-chat-status]')?.getAttribute('data-chat-status')).toBe('working'));
    expect(container.querySelectorAll('.bubble-assistant')).toHaveLength(1);
    expect(screen.getByText('Working on a job…')).toBeTruthy();
    const card = container.querySelector('a.job-card')!;
    expect(card.getAttribute('href')).toBe(`/jobs/${started.jobId}`);
    await userEvent.click(card);
    expect(window.location.pathname).toBe(`/jobs/${started.jobId}`);
    act(() => stream.emit('status', { state: 'idle' }, 13));
    await waitFor(() => expect(container.querySelector('[data-chat-status]')?.textContent).toBe(''));
  });

  it('shows one job card per job, short ids in prose, and the conversation’s repository in the header and the composer', async () => {
    const jobId = '3f2a9c1d-0000-4000-8000-00000000abcd';
    localStorage.setItem('aict.lastRepo', '/srv/repos/other');
    mockApi({
      'GET /api/conversations': () => ({ items: [CONVERSATION], nextCursor: null }),
      'GET /api/messages': () => ({
        items: [
          message('m1', 'user', 'fix subtract'),
          message('m2', 'assistant', `Handed to the team as job ${jobId}: fix subtract.`, {
            jobId,
            data: { jobCard: { mode: 'mechanic' } },
          }),
          message('m3', 'assistant', `Job ${jobId} succeeded.`, { jobId, data: { update: 'succeeded' } }),
        ],
        nextCursor: null,
      }),
    });
    const { container } = renderWithClient(<ChatPage conversationId={CONVERSATION.id} />);
    await screen.findByText(/Job 3f2a9c1d succeeded\./);
    expect(container.querySelectorAll('a.job-card')).toHaveLength(1);
    expect(container.querySelector('.messages')!.textContent).not.toContain(jobId);
    expect(screen.getByLabelText('Repository of this conversation').textContent).toContain('/srv/repos/calc');
    await waitFor(() => expect((screen.getByLabelText('Repository') as HTMLInputElement).value).toBe('/srv/repos/calc'));
  });

  it('guides an empty chat with examples that fill the composer', async () => {
    mockApi({ 'GET /api/conversations': () => ({ items: [], nextCursor: null }) });
    renderWithClient(<ChatPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'fix the failing test in src/calc.js' }));
    const composer = screen.getByLabelText('Message', { selector: 'textarea' }) as HTMLTextAreaElement;
    expect(composer.value).toBe('fix the failing test in src/calc.js');
    expect(document.activeElement).toBe(composer);
  });
});
