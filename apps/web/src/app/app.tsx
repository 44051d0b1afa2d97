import { ErrorBoundary } from '@/components/ui/error-boundary';
import { SignOutButton } from '@/features/auth/components/sign-out-button';
import { ModelBanner } from '@/features/health/components/model-banner';
import { SandboxBanner } from '@/features/health/components/sandbox-banner';
import { useJobs } from '@/features/jobs/api/get-jobs';
import { JobsLiveProvider } from '@/features/jobs/api/use-jobs-live';
import { UnreadCount } from '@/features/notifications/components/notifications-page';
import { Link, useLocation } from '@/lib/router';
import { dismiss, useToasts } from '@/lib/toast';
import { resolveRoute } from './router';

function WaitingCount() {
  const waiting = useJobs({ status: 'waiting_human', limit: 200 });
  const count = waiting.data?.items.length ?? 0;
  return count > 0 ? (
    <span className="nav-count" aria-label={`${count} waiting`}>
      {count}
    </span>
  ) : null;
}

const NAV = [
  { to: '/chat', label: 'Chat', match: '/chat' },
  { to: '/jobs', label: 'Jobs', match: '/jobs' },
  { to: '/attention', label: 'Needs attention', match: '/attention', extra: <WaitingCount /> },
  { to: '/notifications', label: 'Notifications', match: '/notifications', extra: <UnreadCount /> },
  { to: '/stats', label: 'Metrics', match: '/stats' },
];

/** The shell: navigation, the current page, toasts. */
export function App() {
  const { pathname } = useLocation();
  const resolved = resolveRoute(pathname);
  const toasts = useToasts();
  const page = resolved ? (
    resolved.route.render(resolved.params)
  ) : (
    <div className="page">
      <h1>Not found</h1>
      <p>
        <Link to="/">Back to the jobs</Link>
      </p>
    </div>
  );
  const current = (match: string) => pathname === match || pathname.startsWith(`${match}/`) || (match === '/jobs' && pathname === '/');

  return (
    <JobsLiveProvider>
      <a href="#main" className="skip">
        Skip to content
      </a>
      {resolved?.route.bare ? null : (
        <header className="topbar">
          <Link to="/" className="brand">
            AI Coding Team
          </Link>
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={current(item.match) ? 'page' : undefined}>
                    {item.label}
                    {item.extra}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <SignOutButton />
        </header>
      )}
      {resolved?.route.bare ? null : (
        <>
          <ModelBanner />
          <SandboxBanner />
        </>
      )}
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={pathname}>{page}</ErrorBoundary>
      </main>
      <div className="toasts" aria-live="assertive">
        {toasts.map((t) => (
          <div key={t.id} className="toast" role="alert">
            <span>{t.message}</span>
            <button type="button" className="btn btn-small" onClick={() => dismiss(t.id)} aria-label="Dismiss">
              ×
            </button>
          </div>
        ))}
      </div>
    </JobsLiveProvider>
  );
}
