import { type FormEvent, useEffect, useEffectEvent, useRef, useState } from 'react';
import { ErrorMessage } from '@/components/ui/feedback';
import { navigate, useLocation } from '@/lib/router';
import { useSignIn } from '../api/session';

/** Sign-in with the access token: from the login link (`/login#token=…`) or pasted into the form. */
export function SignInPage() {
  const { hash, search } = useLocation();
  const signIn = useSignIn();
  const [token, setToken] = useState('');
  const tried = useRef(false);
  const next = search.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';

  const go = (value: string) => signIn.mutate(value.trim(), { onSuccess: () => navigate(target, { replace: true }) });

  const signInFromLink = useEffectEvent((value: string) => {
    setToken(value);
    go(value);
  });

  useEffect(() => {
    const fromLink = new URLSearchParams(hash.replace(/^#/, '')).get('token');
    if (fromLink && !tried.current) {
      tried.current = true;
      // The token leaves the address bar (and history) before anything else happens.
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
      signInFromLink(fromLink);
    }
  }, [hash]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) go(token);
  };

  return (
    <div className="page sign-in">
      <form className="panel stack" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p className="muted">Use the access token from your login link, or paste it here.</p>
        <div className="field">
          <label htmlFor="token">Access token</label>
          <input
            id="token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-describedby="token-hint"
          />
          <small id="token-hint" className="muted">
            Created with the CLI; it is sent once and kept as a secure session cookie.
          </small>
        </div>
        <ErrorMessage error={signIn.error} title="Sign-in failed" />
        <button type="submit" className="btn btn-primary" disabled={signIn.isPending || !token.trim()}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
