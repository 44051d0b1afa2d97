import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, renderWithClient } from '@/test/render';
import { SignOutButton } from './sign-out-button';

describe('SignOutButton', () => {
  it('signs the person out: ends the session on the server and shows the sign-in page', async () => {
    window.history.replaceState(null, '', '/jobs');
    const { calls } = mockApi({
      'GET /api/auth/session': () => ({ authEnabled: true, name: 'alice', prefix: 'aict_abc', scopes: ['write'], via: 'cookie' }),
      'DELETE /api/auth/session': () => new Response(null, { status: 204 }),
    });
    renderWithClient(<SignOutButton />);
    expect(await screen.findByText('alice')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/auth/session')).toBe(true);
  });

  it('is absent when access control is off (nobody signs in)', async () => {
    mockApi({ 'GET /api/auth/session': () => ({ authEnabled: false, scopes: ['admin'] }) });
    const { client } = renderWithClient(<SignOutButton />);
    await waitFor(() => expect(client.getQueryData(['auth', 'session'])).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
  });
});
