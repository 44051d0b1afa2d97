import type { ReactNode } from 'react';

/** An error in words a person can act on: the server's message, or what a failed network call means. */
export function plainMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError && /fetch|network|load failed/i.test(message))
    return 'The server cannot be reached. Check that it is running and that you are online, then try again.';
  return message;
}

/** A visible error with the server's message. */
export function ErrorMessage({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const message = plainMessage(error);
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title}:</strong> {message}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

/** A titled panel of a page. */
export function Panel({ title, actions, children, id }: { title: ReactNode; actions?: ReactNode; children: ReactNode; id?: string }) {
  return (
    <section className="panel" aria-labelledby={id ? `${id}-title` : undefined}>
      <header className="panel-head">
        <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** The live-connection dot of an SSE stream. */
export function LiveDot({ state }: { state: string }) {
  const label = state === 'open' ? 'Live' : state === 'closed' ? 'Ended' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite" data-stream-state={state}>
      <span aria-hidden="true" className="live-dot" /> {label}
    </span>
  );
}
