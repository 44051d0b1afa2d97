import type { ReactNode } from 'react';
import { SignInPage } from '@/features/auth/components/sign-in-page';
import { ChatPage } from '@/features/chat/components/chat-page';
import { JobDetailPage } from '@/features/jobs/components/job-detail-page';
import { JobsPage } from '@/features/jobs/components/jobs-page';
import { NeedsAttentionPage } from '@/features/jobs/components/needs-attention-page';
import { MetricsPage } from '@/features/metrics/components/metrics-page';
import { NotificationsPage } from '@/features/notifications/components/notifications-page';
import { matchPath } from '@/lib/router';

/** The routes, first match wins. */
export const routes: { path: string; render: (params: Record<string, string>) => ReactNode; bare?: boolean }[] = [
  { path: '/', render: () => <JobsPage /> },
  { path: '/jobs', render: () => <JobsPage /> },
  { path: '/jobs/:id', render: ({ id }) => <JobDetailPage key={id} id={id} /> },
  { path: '/attention', render: () => <NeedsAttentionPage /> },
  { path: '/chat', render: () => <ChatPage /> },
  { path: '/chat/:id', render: ({ id }) => <ChatPage conversationId={id} /> },
  { path: '/notifications', render: () => <NotificationsPage /> },
  // Not /metrics: that is the server's Prometheus endpoint.
  { path: '/stats', render: () => <MetricsPage /> },
  { path: '/login', render: () => <SignInPage />, bare: true },
];

export function resolveRoute(pathname: string) {
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return null;
}
