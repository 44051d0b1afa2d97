import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type Schemas, api, data, query } from '@/lib/api/client';
import { useEventStream } from '@/lib/sse';

export type ConversationView = Schemas['ConversationView'];
export type MessageView = Schemas['MessageView'];
export type ChatState = 'thinking' | 'typing' | 'working' | 'queueing' | 'idle';
export interface ChatStatus {
  state: ChatState;
  jobId?: string | null;
}
export const chatKeys = {
  conversations: ['chat', 'conversations'] as const,
  messages: (conversationId: string) => ['chat', 'messages', conversationId] as const,
  status: (conversationId: string) => ['chat', 'status', conversationId] as const,
};

/** GET /api/conversations */
export async function getConversations() {
  return data(await api.GET('/api/conversations', { params: { query: { limit: 100 } } }));
}
export const conversationsQueryOptions = () => queryOptions({ queryKey: chatKeys.conversations, queryFn: getConversations });
export const useConversations = () => useQuery(conversationsQueryOptions());

/** POST /api/conversations */
export async function createConversation(input: Schemas['CreateConversationRequest']) {
  return data(await api.POST('/api/conversations', { body: input }));
}
export const useCreateConversation = () => {
  const client = useQueryClient();
  return useMutation({ mutationFn: createConversation, onSuccess: () => client.invalidateQueries({ queryKey: chatKeys.conversations }) });
};

/** GET /api/messages?conversationId= — oldest first. */
export async function getMessages(conversationId: string): Promise<MessageView[]> {
  return data(await api.GET('/api/messages', { params: { query: { conversationId, limit: 500 } } })).items;
}
export const messagesQueryOptions = (conversationId: string) =>
  queryOptions({ queryKey: chatKeys.messages(conversationId), queryFn: () => getMessages(conversationId), staleTime: Infinity });
export const useMessages = (conversationId: string | null) =>
  useQuery({ ...messagesQueryOptions(conversationId ?? ''), enabled: !!conversationId });

/** Adds messages once each (by id), oldest first; a pending copy of a sent message gives way to the real one. */
export function mergeMessages(current: MessageView[] | undefined, incoming: MessageView[]): MessageView[] {
  const byId = new Map<string, MessageView>();
  for (const m of current ?? []) byId.set(m.id, m);
  for (const m of incoming) {
    byId.set(m.id, m);
    for (const [id, existing] of byId)
      if ((existing as { pending?: boolean }).pending && existing.role === m.role && existing.content === m.content && id !== m.id)
        byId.delete(id);
  }
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || String(a.id).localeCompare(String(b.id)));
}

/** POST /api/chat — returns at once (202); the reply arrives on the chat stream. */
export async function sendMessage(input: Schemas['ChatRequest']) {
  return data(await api.POST('/api/chat', { body: input }));
}

/** Sends a message and shows it at once as pending; the stream delivers it for real. */
export const useSendMessage = () => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: sendMessage,
    meta: { silent: true },
    onMutate: (input) => {
      if (!input.conversationId) return;
      const pending = {
        id: `pending-${Date.now()}`,
        conversationId: input.conversationId,
        role: 'user',
        content: input.message,
        jobId: null,
        data: {},
        createdAt: new Date().toISOString(),
        pending: true,
      } as unknown as MessageView;
      client.setQueryData<MessageView[]>(chatKeys.messages(input.conversationId), (current) => mergeMessages(current, [pending]));
    },
    onSuccess: (result, input) => {
      client.setQueryData<MessageView[]>(chatKeys.messages(result.conversationId), (current) =>
        (current ?? []).map((m) =>
          (m as { pending?: boolean }).pending && m.content === input.message
            ? ({ ...m, id: result.messageId, pending: false } as MessageView)
            : m,
        ),
      );
      if (!input.conversationId) void client.invalidateQueries({ queryKey: chatKeys.conversations });
    },
    onError: (_error, input) => {
      if (input.conversationId)
        client.setQueryData<MessageView[]>(chatKeys.messages(input.conversationId), (current) =>
          (current ?? []).filter((m) => !(m as { pending?: boolean }).pending),
        );
    },
  });
};

/**
 * Follows GET /api/chat/stream?conversationId=: the snapshot replaces the messages, each message
 * joins them once, status drives the indicator; resumes with Last-Event-ID after a drop.
 */
export function useChatStream(conversationId: string | null) {
  const client = useQueryClient();
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const status = useQuery({
    queryKey: chatKeys.status(conversationId ?? ''),
    queryFn: () => ({ state: 'idle' }) as ChatStatus,
    enabled: false,
    initialData: { state: 'idle' } as ChatStatus,
  });
  const connection = useEventStream(conversationId ? `/api/chat/stream${query({ conversationId })}` : null, {
    snapshot: (snapshot: { messages?: MessageView[]; status?: ChatStatus | ChatState }) => {
      if (!conversationId) return;
      if (snapshot.messages)
        client.setQueryData<MessageView[]>(chatKeys.messages(conversationId), (current) => mergeMessages(current, snapshot.messages ?? []));
      if (snapshot.status)
        client.setQueryData(
          chatKeys.status(conversationId),
          typeof snapshot.status === 'string' ? { state: snapshot.status } : snapshot.status,
        );
    },
    message: (message: MessageView) => {
      if (!conversationId) return;
      client.setQueryData<MessageView[]>(chatKeys.messages(conversationId), (current) => mergeMessages(current, [message]));
      void client.invalidateQueries({ queryKey: chatKeys.conversations });
    },
    status: (next: ChatStatus) => {
      if (conversationId) client.setQueryData(chatKeys.status(conversationId), next);
    },
    error: (e: { code: string; message: string }) => setError(e),
  });
  return { connection, status: status.data ?? { state: 'idle' as ChatState }, error };
}
