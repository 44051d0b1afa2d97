import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, renderWithClient } from '@/test/render';
import { SignInPage } from './sign-in-page';

describe('SignInPage', () => {
  it('signs in with the token of the login link, and takes the token out of the address bar', async () => {
    window.history.replaceState(null, '', '/login?next=/jobs#token=aict_secret123');
    const { calls } = mockApi({ 'POST /api/auth/session': () => new Response(null, { status: 204 }) });
    renderWithClient(<SignInPage />);
    await waitFor(() => expect(window.location.pathname).toBe('/jobs'));
    const call = calls.find((c) => c.path === '/api/auth/session')!;
    expect(call.headers.get('authorization')).toBe('Bearer aict_secret123');
    expect(call.headers.get('x-requested-with')).toBe('aict');
    expect(window.location.href).not.toContain('aict_secret123');
  });

  it('signs in with a pasted token from a labelled form, and says why it failed', async () => {
    window.history.replaceState(null, '', '/login');
    mockApi({
      'POST /api/auth/session': ({ headers }) =>
        headers.get('authorization') === 'Bearer good'
          ? new Response(null, { status: 204 })
          : new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'Invalid or expired token' } }), { status: 401 }),
    });
    renderWithClient(<SignInPage />);
    await userEvent.type(screen.getByLabelText('Access token'), 'bad{Enter}');
    const alert = (await screen.findByRole('alert')).textContent;
    // Plain words, not HTTP: what happened and what to do.
    expect(alert).toContain('That access token was not accepted: it may be mistyped, expired or revoked.');
    expect(alert).not.toMatch(/Authorization|Bearer|401/);
    await userEvent.clear(screen.getByLabelText('Access token'));
    await userEvent.type(screen.getByLabelText('Access token'), 'good');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(window.location.pathname).toBe('/'));
  });
});
