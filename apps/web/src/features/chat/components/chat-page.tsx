import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { Markdown } from '@/components/ui/markdown';
import { ago, clock, shortIds } from '@/lib/format';
import { Link, navigate } from '@/lib/router';
import { type ChatStatus, type MessageView, useChatStream, useConversations, useMessages, useSendMessage } from '../api/chat';

const STATUS_TEXT: Record<string, string> = {
  thinking: 'Thinking…',
  typing: 'Typing…',
  working: 'Working on a job…',
  queueing: 'Queueing a job…',
  idle: '',
};

/** What the Coordinator is doing right now. */
export function StatusIndicator({ status }: { status: ChatStatus }) {
  const text = STATUS_TEXT[status.state] ?? status.state;
  return (
    <div className={`chat-status chat-status-${status.state}`} role="status" aria-live="polite" data-chat-status={status.state}>
      {text ? (
        <>
          <span className="dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>{' '}
          {text}
          {status.jobId ? (
            <>
              {' '}
              <Link to={`/jobs/${status.jobId}`}>open job</Link>
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

const EXAMPLES = ['fix the failing test in src/calc.js', 'explain what src/calc.js does', 'add a test for subtract in test/calc.test.js'];

/** One chat bubble; a message about a job carries a card that opens it. */
export function MessageBubble({ message }: { message: MessageView }) {
  const pending = (message as { pending?: boolean }).pending;
  const data = (message.data ?? {}) as { jobCard?: { mode?: string; goal?: string }; goal?: string };
  const card = data.jobCard ?? {};
  return (
    <li className={`bubble bubble-${message.role} ${pending ? 'bubble-pending' : ''}`} data-message-id={message.id}>
      <span className="sr-only">{message.role === 'user' ? 'You' : message.role === 'assistant' ? 'Coordinator' : 'System'}:</span>
      <Markdown text={shortIds(message.content)} />
      {/* One card per job: on the message that started it; updates about it link in prose. */}
      {message.jobId && data.jobCard ? (
        <Link to={`/jobs/${message.jobId}`} className="job-card" data-job-id={message.jobId}>
          <span className="job-card-label">Job{card.mode ? ` · ${card.mode}` : ''}</span>
          <span className="job-card-goal">{card.goal ?? data.goal ?? message.jobId.slice(0, 8)}</span>
          <span className="job-card-open">Open →</span>
        </Link>
      ) : null}
      {message.jobId && !data.jobCard && message.role !== 'user' ? (
        <Link to={`/jobs/${message.jobId}`} className="job-link small">
          job {message.jobId.slice(0, 8)}
        </Link>
      ) : null}
      <time className="bubble-time" dateTime={message.createdAt}>
        {pending ? 'sending…' : clock(message.createdAt)}
      </time>
    </li>
  );
}

function Conversation({ conversationId, defaultRepo }: { conversationId: string | null; defaultRepo: string | null }) {
  const messages = useMessages(conversationId);
  const { connection, status, error } = useChatStream(conversationId);
  const send = useSendMessage();
  const [text, setText] = useState('');
  // A conversation keeps its repository; a new one starts from the last one used.
  const [repo, setRepo] = useState(
    () => defaultRepo ?? (typeof localStorage !== 'undefined' ? (localStorage.getItem('aict.lastRepo') ?? '') : ''),
  );
  const [seenDefault, setSeenDefault] = useState(defaultRepo);
  if (defaultRepo !== seenDefault) {
    setSeenDefault(defaultRepo);
    if (defaultRepo) setRepo(defaultRepo);
  }
  const composer = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const items = messages.data ?? [];

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [items.length, status.state]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (!message) return;
    setText('');
    send.mutate(
      { message, conversationId: conversationId ?? undefined, repo: repo.trim() || undefined },
      {
        onSuccess: (result) => {
          if (repo.trim()) localStorage.setItem('aict.lastRepo', repo.trim());
          if (!conversationId) navigate(`/chat/${result.conversationId}`);
        },
        onError: () => setText(message),
      },
    );
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event as unknown as FormEvent);
  };

  return (
    <section className="conversation" aria-label="Conversation">
      <header className="conversation-head">
        {conversationId ? <LiveDot state={connection} /> : <span className="muted">New conversation</span>}
        {defaultRepo ? (
          <span className="muted small" aria-label="Repository of this conversation">
            Repository: <code>{defaultRepo}</code>
          </span>
        ) : null}
      </header>
      <div className="messages-scroll">
        {conversationId && messages.isPending ? <Loading /> : null}
        <ErrorMessage error={messages.error} title="Could not load messages" />
        {items.length === 0 && !(conversationId && messages.isPending) ? (
          <div className="empty chat-guide">
            <p>Ask the team for a change or a question about a repository. Name the repository below first; then, for example:</p>
            <ul className="suggestions">
              {EXAMPLES.map((example) => (
                <li key={example}>
                  <button
                    type="button"
                    className="btn btn-small btn-link"
                    onClick={() => {
                      setText(example);
                      composer.current?.focus();
                    }}
                  >
                    {example}
                  </button>
                </li>
              ))}
            </ul>
            <p className="muted small">Work becomes a job you can follow; questions are answered here.</p>
          </div>
        ) : null}
        <ol className="messages" aria-label="Messages" aria-live="polite">
          {items.map((m) => (
            <MessageBubble key={m.id} message={m} />
          ))}
        </ol>
        <StatusIndicator status={status} />
        <div ref={end} />
      </div>
      {error ? (
        <p className="alert alert-error" role="alert">
          {error.message}
        </p>
      ) : null}
      <ErrorMessage error={send.error} title="Not sent" />
      <form className="composer" onSubmit={submit}>
        <div className="composer-main">
          <label htmlFor="chat-message" className="sr-only">
            Message
          </label>
          <textarea
            ref={composer}
            id="chat-message"
            rows={2}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKey}
            placeholder="Message the team (Enter sends, Shift+Enter new line)"
          />
          <button type="submit" className="btn btn-primary" disabled={!text.trim()}>
            Send
          </button>
        </div>
        <div className="composer-repo">
          <label htmlFor="chat-repo">Repository</label>
          <input id="chat-repo" value={repo} onChange={(e) => setRepo(e.target.value)} placeholder="default of the conversation" />
        </div>
      </form>
    </section>
  );
}

/** Chat with the Coordinator: the conversation list and the open conversation. */
export function ChatPage({ conversationId }: { conversationId?: string }) {
  const conversations = useConversations();
  return (
    <div className="page chat">
      <aside className="conversations" aria-label="Conversations">
        <div className="row spread">
          <h1>Chat</h1>
          <Link to="/chat" className="btn btn-small">
            New
          </Link>
        </div>
        <ErrorMessage error={conversations.error} title="Could not load conversations" />
        <ul>
          {conversations.data?.items.map((c) => (
            <li key={c.id}>
              <Link to={`/chat/${c.id}`} aria-current={c.id === conversationId ? 'page' : undefined} className="conversation-link">
                <span>{c.title || 'Untitled'}</span>
                <time className="muted small" dateTime={c.updatedAt}>
                  {ago(c.updatedAt)}
                </time>
              </Link>
            </li>
          ))}
        </ul>
      </aside>
      <Conversation
        key={conversationId ?? 'new'}
        conversationId={conversationId ?? null}
        defaultRepo={conversations.data?.items.find((c) => c.id === conversationId)?.defaultRepo ?? null}
      />
    </div>
  );
}
