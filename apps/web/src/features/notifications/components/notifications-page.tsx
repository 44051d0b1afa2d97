import { useState } from 'react';
import { Empty, ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { ago, shortIds } from '@/lib/format';
import { Link } from '@/lib/router';
import { useMarkAllNotificationsRead, useMarkNotificationRead, useNotifications, useNotificationsLive } from '../api/notifications';

const KIND_LABEL: Record<string, string> = {
  job_started: 'Started',
  job_succeeded: 'Succeeded',
  job_failed: 'Failed',
  job_aborted: 'Aborted',
  needs_attention: 'Needs you',
  budget_warning: 'Budget',
  cap_reached: 'Cap reached',
  insight: 'Insight',
};

/** The notifications board: unread count, filter, open the job, mark read. */
export function NotificationsPage() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const notifications = useNotifications(unreadOnly);
  const live = useNotificationsLive();
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const page = notifications.data;
  // Routine items (a job started) are kept apart, quietly, so what needs reading stands out.
  const items = page?.items.filter((n) => !n.routine) ?? [];
  const routine = page?.items.filter((n) => n.routine) ?? [];
  return (
    <div className="page">
      <header className="page-head">
        <h1>
          Notifications{' '}
          {page ? (
            <span className="count" aria-label={`${page.unreadCount} unread`}>
              {page.unreadCount}
            </span>
          ) : null}
        </h1>
        <div className="row">
          <LiveDot state={live} />
          <label className="inline">
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
          </label>
          <button
            type="button"
            className="btn btn-small"
            disabled={!page?.unreadCount || markAll.isPending}
            onClick={() => markAll.mutate()}
          >
            Mark all read
          </button>
        </div>
      </header>
      <ErrorMessage error={notifications.error} title="Could not load notifications" />
      {notifications.isPending ? (
        <Loading />
      ) : page?.items.length ? (
        <>
          <ul className="notifications" aria-label="Notifications">
            {items.map((n) => (
              <li key={n.id} className={`notification kind-${n.kind} ${n.read ? 'read' : 'unread'}`} data-notification-id={n.id}>
                <span className={`tag kind-tag kind-${n.kind}`}>{KIND_LABEL[n.kind] ?? n.kind}</span>
                <div className="notification-body">
                  <strong>{n.title}</strong>
                  {n.context?.goal ? (
                    <p className="notification-context">
                      {n.context.goal}
                      {n.context.repo ? <span className="muted small"> · {repoName(n.context.repo)}</span> : null}
                    </p>
                  ) : null}
                  {n.body ? <p className="muted">{shortIds(n.body)}</p> : null}
                  <time className="muted small" dateTime={n.createdAt}>
                    {ago(n.createdAt)}
                  </time>
                </div>
                <div className="row">
                  {n.jobId ? (
                    <Link className="btn btn-small" to={`/jobs/${n.jobId}`} onClick={() => !n.read && markRead.mutate(n.id)}>
                      Open job
                    </Link>
                  ) : n.conversationId ? (
                    <Link className="btn btn-small" to={`/chat/${n.conversationId}`}>
                      Open chat
                    </Link>
                  ) : null}
                  {!n.read ? (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => markRead.mutate(n.id)}
                      aria-label={`Mark read: ${n.title}`}
                    >
                      Mark read
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
          {routine.length ? (
            <details className="routine">
              <summary>
                {routine.length} routine update{routine.length === 1 ? '' : 's'} (jobs started)
              </summary>
              <ul className="notifications quiet">
                {routine.map((n) => (
                  <li key={n.id} className="notification read" data-notification-id={n.id}>
                    <span className="muted small">
                      <time dateTime={n.createdAt}>{ago(n.createdAt)}</time> · {n.title}
                      {n.context?.goal ? `: ${n.context.goal}` : ''}
                    </span>{' '}
                    {n.jobId ? <Link to={`/jobs/${n.jobId}`}>Open job</Link> : null}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </>
      ) : (
        <Empty>
          {unreadOnly ? 'No unread notifications: you are up to date.' : 'No notifications yet.'} They appear here as jobs start, finish or
          need you. <Link to="/jobs?new=1">Start a job</Link>
        </Empty>
      )}
    </div>
  );
}

/** The last part of a repository path or URL ("calc-js" for /srv/repos/calc-js.git). */
function repoName(repo: string): string {
  return (
    repo
      .replace(/\.git$/, '')
      .replace(/\/+$/, '')
      .split(/[/:]/)
      .pop() || repo
  );
}

/** The unread count for the navigation, live. */
export function UnreadCount() {
  const notifications = useNotifications(false);
  useNotificationsLive();
  const count = notifications.data?.unreadCount ?? 0;
  return count > 0 ? (
    <span className="nav-count" aria-label={`${count} unread`}>
      {count}
    </span>
  ) : null;
}
