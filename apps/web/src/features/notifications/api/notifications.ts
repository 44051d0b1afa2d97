import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEventStream } from '@/lib/sse';
import { type Schemas, api, data } from '@/lib/api/client';

export type NotificationView = Schemas['NotificationView'];
export type NotificationPage = Schemas['NotificationPage'];

export const notificationKeys = {
  all: ['notifications'] as const,
  list: (unread: boolean) => ['notifications', 'list', { unread }] as const,
};

/** GET /api/notifications — newest first, with the unread count. */
export async function getNotifications(unread = false, limit = 100): Promise<NotificationPage> {
  return data(await api.GET('/api/notifications', { params: { query: { unread: unread || undefined, limit } } }));
}

export const notificationsQueryOptions = (unread = false) =>
  queryOptions({ queryKey: notificationKeys.list(unread), queryFn: () => getNotifications(unread) });

export const useNotifications = (unread = false) => useQuery(notificationsQueryOptions(unread));

/** POST /api/notifications/{id}/read */
export async function markNotificationRead(id: string): Promise<NotificationView> {
  return data(await api.POST('/api/notifications/{id}/read', { params: { path: { id } } }));
}

/** Marks one read: patched in every cached list at once (unread count included), then refetched. */
export const useMarkNotificationRead = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: markNotificationRead,
    onMutate: (id) => {
      client.setQueriesData<NotificationPage>({ queryKey: notificationKeys.all }, (page) => {
        if (!page) return page;
        const target = page.items.find((n) => n.id === id);
        const wasUnread = target && !target.read;
        return {
          ...page,
          items: page.items.map((n) => (n.id === id ? { ...n, read: true } : n)),
          unreadCount: Math.max(0, page.unreadCount - (wasUnread ? 1 : 0)),
        };
      });
    },
    onSettled: () => client.invalidateQueries({ queryKey: notificationKeys.all }),
  });
};

/** POST /api/notifications/read-all */
export async function markAllNotificationsRead() {
  return data(await api.POST('/api/notifications/read-all'));
}

/** Marks every notification read: patched in the cached lists at once, then refetched. */
export const useMarkAllNotificationsRead = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: markAllNotificationsRead,
    onMutate: () => {
      client.setQueriesData<NotificationPage>({ queryKey: notificationKeys.all }, (page) =>
        page ? { ...page, items: page.items.map((n) => ({ ...n, read: true })), unreadCount: 0 } : page,
      );
    },
    onSettled: () => client.invalidateQueries({ queryKey: notificationKeys.all }),
  });
};

/**
 * Adds a notification to cached lists once (by id) and counts it unread; a known one comes back
 * when it changed (read elsewhere: handled, or "mark all read" in another tab) and replaces the old.
 */
export function addNotification(
  page: NotificationPage | undefined,
  notification: NotificationView,
  unreadOnly: boolean,
): NotificationPage | undefined {
  if (!page) return page;
  const known = page.items.find((n) => n.id === notification.id);
  if (known) {
    if (known.read === notification.read) return page;
    const delta = known.read ? 1 : -1;
    const items =
      unreadOnly && notification.read
        ? page.items.filter((n) => n.id !== notification.id)
        : page.items.map((n) => (n.id === notification.id ? notification : n));
    return { ...page, items, unreadCount: Math.max(0, page.unreadCount + delta) };
  }
  if (unreadOnly && notification.read) return page;
  return { ...page, items: [notification, ...page.items], unreadCount: page.unreadCount + (notification.read ? 0 : 1) };
}

/** Feeds GET /api/notifications/stream into the cached lists. */
export function useNotificationsLive() {
  const client = useQueryClient();
  return useEventStream('/api/notifications/stream', {
    notification: (notification: NotificationView) => {
      client.setQueryData<NotificationPage>(notificationKeys.list(false), (page) => addNotification(page, notification, false));
      client.setQueryData<NotificationPage>(notificationKeys.list(true), (page) => addNotification(page, notification, true));
    },
  });
}
