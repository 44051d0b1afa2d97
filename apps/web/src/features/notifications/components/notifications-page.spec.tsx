import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeEventSource } from '@/test/fake-event-source';
import { mockApi, renderWithClient } from '@/test/render';
import { NotificationsPage } from './notifications-page';

const n = (id: string, extra: object = {}) => ({
  id,
  kind: 'job_failed',
  title: `Job ${id} failed`,
  body: 'tests failed',
  jobId: `job-${id}`,
  conversationId: null,
  context: null,
  routine: false,
  read: false,
  createdAt: new Date().toISOString(),
  ...extra,
});

describe('NotificationsPage', () => {
  it('shows the unread count, marks one read, and opens its job', async () => {
    const items = [n('1'), n('2', { kind: 'job_succeeded', title: 'Job 2 succeeded', read: true })];
    const { calls } = mockApi({
      'GET /api/notifications': () => ({ items, unreadCount: items.filter((i) => !i.read).length, nextCursor: null }),
      'POST /api/notifications/:id/read': ({ path }) => {
        const item = items.find((i) => path.includes(`/${i.id}/`))!;
        item.read = true;
        return item;
      },
    });
    renderWithClient(<NotificationsPage />);
    expect(await screen.findByLabelText('1 unread')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Mark read: Job 1 failed' }));
    await waitFor(() => expect(screen.getByLabelText('0 unread')).toBeTruthy());
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/notifications/1/read')).toBe(true);
    expect(screen.getAllByRole('link', { name: 'Open job' })[0].getAttribute('href')).toBe('/jobs/job-1');
  });

  it('adds notifications from the stream once and counts them unread', async () => {
    mockApi({ 'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }) });
    renderWithClient(<NotificationsPage />);
    expect(await screen.findByText(/No notifications yet\./)).toBeTruthy();
    await waitFor(() => expect(FakeEventSource.find('/api/notifications/stream')).toBeTruthy());
    act(() => {
      FakeEventSource.find('/api/notifications/stream')!.emit(
        'notification',
        n('7', { kind: 'needs_attention', title: 'Job 7 needs you' }),
        7,
      );
      FakeEventSource.find('/api/notifications/stream')!.emit(
        'notification',
        n('7', { kind: 'needs_attention', title: 'Job 7 needs you' }),
        7,
      );
    });
    expect(await screen.findAllByText('Job 7 needs you')).toHaveLength(1);
    expect(screen.getByLabelText('1 unread')).toBeTruthy();
  });

  it('says what each is about (goal and repository), keeps routine ones quiet in a group, and marks all read', async () => {
    const items = [
      n('1', {
        kind: 'needs_attention',
        title: 'Needs your attention',
        context: { goal: 'fix the subtract bug', repo: '/srv/repos/calc-js' },
      }),
      n('2', {
        kind: 'job_started',
        title: 'Job started',
        routine: true,
        read: true,
        context: { goal: 'fix the subtract bug', repo: '/srv/repos/calc-js' },
      }),
      n('3', { kind: 'job_started', title: 'Job started', routine: true, read: true }),
      n('4'),
    ];
    const { calls } = mockApi({
      'GET /api/notifications': () => ({ items, unreadCount: items.filter((i) => !i.read).length, nextCursor: null }),
      'POST /api/notifications/read-all': () => {
        items.forEach((i) => (i.read = true));
        return { updated: 2 };
      },
    });
    renderWithClient(<NotificationsPage />);
    const list = await screen.findByRole('list', { name: 'Notifications' });
    expect(within(list).getByText('fix the subtract bug').closest('li')!.textContent).toContain('calc-js');
    expect(within(list).queryByText('Job started')).toBeNull();
    expect(screen.getByText('2 routine updates (jobs started)')).toBeTruthy();
    expect(list.textContent).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(screen.getByLabelText('2 unread')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Mark all read' }));
    await waitFor(() => expect(screen.getByLabelText('0 unread')).toBeTruthy());
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/notifications/read-all')).toBe(true);
  });

  it('marks an item read when the stream says it was handled elsewhere', async () => {
    mockApi({ 'GET /api/notifications': () => ({ items: [n('9', { kind: 'needs_attention' })], unreadCount: 1, nextCursor: null }) });
    renderWithClient(<NotificationsPage />);
    expect(await screen.findByLabelText('1 unread')).toBeTruthy();
    await waitFor(() => expect(FakeEventSource.find('/api/notifications/stream')).toBeTruthy());
    act(() => FakeEventSource.find('/api/notifications/stream')!.emit('notification', n('9', { kind: 'needs_attention', read: true }), 10));
    expect(await screen.findByLabelText('0 unread')).toBeTruthy();
  });
});
