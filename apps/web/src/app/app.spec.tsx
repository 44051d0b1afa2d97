import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/test/render';
import { App } from './app';
import { AppProvider, createQueryClient } from './provider';

const renderApp = () =>
  render(
    <AppProvider client={createQueryClient()}>
      <App />
    </AppProvider>,
  );

describe('App', () => {
  it('navigates between pages without reloading and marks the current one', async () => {
    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
    });
    window.history.replaceState(null, '', '/jobs');
    renderApp();
    expect((await screen.findByRole('link', { name: 'Jobs' })).getAttribute('aria-current')).toBe('page');
    await userEvent.click(screen.getByRole('link', { name: 'Needs attention' }));
    expect(window.location.pathname).toBe('/attention');
    expect(await screen.findByRole('heading', { name: 'Needs attention' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Needs attention' }).getAttribute('aria-current')).toBe('page');
  });

  it('sends the user to sign in when the API answers 401, and comes back afterwards', async () => {
    const unauthorized = () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'Sign in first' } }), { status: 401 });
    mockApi({ 'GET /api/jobs': unauthorized, 'GET /api/notifications': unauthorized });
    window.history.replaceState(null, '', '/jobs?status=failed');
    renderApp();
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
    expect(new URLSearchParams(window.location.search).get('next')).toBe('/jobs?status=failed');
    expect(await screen.findByLabelText('Access token')).toBeTruthy();
  });

  it('says on every page when the workers cannot run tests, and how to fix it', async () => {
    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
      'GET /api/health/ready': () => ({
        status: 'ready',
        database: true,
        migrations: true,
        sandbox: {
          state: 'unavailable',
          message: 'The test sandbox needs bwrap.',
          fix: 'install bubblewrap',
          workers: { ok: 0, disabled: 0, unavailable: 1 },
        },
      }),
    });
    window.history.replaceState(null, '', '/jobs');
    renderApp();
    const banner = await screen.findByText('Jobs cannot run tests.', { selector: '.banner strong' });
    expect(banner.parentElement!.getAttribute('role')).toBe('alert');
    expect(banner.parentElement!.textContent).toContain('The test sandbox needs bwrap.');
    expect(banner.parentElement!.textContent).toContain('install bubblewrap');
    await userEvent.click(screen.getByRole('link', { name: 'Needs attention' }));
    expect(document.querySelector('.banner')?.textContent).toContain('sandbox_unavailable');
  });

  it('says on every page when no model is configured, and not once one is', async () => {
    const ready = (configured: boolean) => ({
      status: 'ready',
      database: true,
      migrations: true,
      sandbox: { state: 'ok', workers: { ok: 1, disabled: 0, unavailable: 0 } },
      model: { configured, models: { mechanic: 'claude-haiku-4-5', genius: 'claude-sonnet-4-6' } },
    });
    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
      'GET /api/health/ready': () => ready(false),
    });
    window.history.replaceState(null, '', '/jobs');
    const { unmount } = renderApp();
    const banner = await screen.findByText('No model is configured.', { selector: '.banner strong' });
    expect(banner.parentElement!.textContent).toContain('ANTHROPIC_API_KEY');
    expect(banner.parentElement!.textContent).toContain('model_not_configured');
    await userEvent.click(screen.getByRole('link', { name: 'Needs attention' }));
    expect(document.querySelector('.banner')?.textContent).toContain('No model is configured.');
    unmount();

    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
      'GET /api/health/ready': () => ready(true),
    });
    window.history.replaceState(null, '', '/jobs');
    renderApp();
    expect(await screen.findByRole('link', { name: 'Jobs' })).toBeTruthy();
    await waitFor(() => expect(document.querySelector('.banner')).toBeNull());
  });

  it('shows no banner when the sandbox works', async () => {
    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
      'GET /api/health/ready': () => ({
        status: 'ready',
        database: true,
        migrations: true,
        sandbox: { state: 'ok', workers: { ok: 1, disabled: 0, unavailable: 0 } },
      }),
    });
    window.history.replaceState(null, '', '/jobs');
    renderApp();
    expect(await screen.findByRole('link', { name: 'Jobs' })).toBeTruthy();
    await waitFor(() => expect(document.querySelector('.banner')).toBeNull());
  });

  it('shows a not-found page for unknown paths', async () => {
    mockApi({
      'GET /api/jobs': () => ({ items: [], nextCursor: null }),
      'GET /api/notifications': () => ({ items: [], unreadCount: 0, nextCursor: null }),
    });
    window.history.replaceState(null, '', '/nope');
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Not found' })).toBeTruthy();
  });
});
