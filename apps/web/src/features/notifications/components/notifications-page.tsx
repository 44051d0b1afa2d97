import { useState } from 'react';
import { Empty, ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { ago } from '@/lib/format';
import { Link } from '@/lib/router';
import { useMarkNotificationRead, useNotifications, useNotificationsLive } from '../api/notifications';

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
  const page = notifications.data;
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
        </div>
      </header>
      <ErrorMessage error={notifications.error} title="Could not load notifications" />
      {notifications.isPending ? (
        <Loading />
      ) : page?.items.length ? (
        <ul className="notifications">
          {page.items.map((n) => (
            <li key={n.id} className={`notification kind-${n.kind} ${n.read ? 'read' : 'unread'}`} data-notification-id={n.id}>
              <span className={`tag kind-tag kind-${n.kind}`}>{KIND_LABEL[n.kind] ?? n.kind}</span>
              <div className="notification-body">
                <strong>{n.title}</strong>
                {n.body ? <p className="muted">{n.body}</p> : null}
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
                    aria-label={`Mark “${n.title}” read`}
                  >
                    Mark read
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <Empty>{unreadOnly ? 'No unread notifications.' : 'No notifications yet.'}</Empty>
      )}
    </div>
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
