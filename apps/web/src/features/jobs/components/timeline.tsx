import { memo } from 'react';
import { clock } from '@/lib/format';
import type { EventView } from '../api/types';

const KIND: Record<string, string> = {
  model_call: 'model',
  tool_call: 'tool',
  tool_result: 'tool',
  handoff: 'hand-off',
  status: 'status',
  plan: 'plan',
  review: 'review',
  budget_warning: 'budget',
  error: 'error',
};

function kindOf(event: EventView): string {
  return KIND[event.type] ?? event.type.replace(/[._]/g, ' ');
}

/** Data worth showing when an event row is expanded: tool input and result, model usage, etc. */
function Details({ event }: { event: EventView }) {
  const data = event.data as Record<string, unknown>;
  if (event.type === 'tool_call' && ('input' in data || 'result' in data)) {
    return (
      <div className="event-details">
        {'input' in data ? (
          <>
            <h4>Input</h4>
            <pre className="code-block">{JSON.stringify(data.input, null, 2)}</pre>
          </>
        ) : null}
        {'result' in data ? (
          <>
            <h4>Result {data.ok === false ? <span className="tag tag-bad">failed</span> : null}</h4>
            <pre className="code-block">{typeof data.result === 'string' ? data.result : JSON.stringify(data.result, null, 2)}</pre>
          </>
        ) : null}
      </div>
    );
  }
  return <pre className="code-block event-details">{JSON.stringify(data, null, 2)}</pre>;
}

/** The run a retry starts, from its status event (`failed → queued: retry`, data.run), else null. */
function retryRun(event: EventView): number | null {
  const data = event.data as { to?: string; reason?: string; run?: number };
  return event.type === 'status' && data.to === 'queued' && data.reason?.startsWith('retry') && typeof data.run === 'number'
    ? data.run
    : null;
}

/** The job's events as a live timeline, attempts apart; rows with data expand (tool calls show input and result). Memoised: the page's ticking clock does not redraw it. */
export const Timeline = memo(function Timeline({ events, currentRun }: { events: EventView[]; currentRun?: number }) {
  if (!events.length) return <p className="muted">No events yet.</p>;
  const retried = events.some((e) => retryRun(e) !== null);
  return (
    <ol className="timeline" aria-label="Timeline" aria-live="polite" aria-relevant="additions">
      {retried ? (
        <li className="attempt-separator" data-attempt="1">
          <strong>Attempt 1</strong>
        </li>
      ) : null}
      {events.map((event) => {
        const run = retryRun(event);
        const separator =
          run !== null ? (
            <li key={`attempt-${event.id}`} className="attempt-separator" data-attempt={run}>
              <strong>
                Attempt {run}
                {run === currentRun ? ' (current)' : ''}
              </strong>
            </li>
          ) : null;
        const data = event.data as Record<string, unknown>;
        const hasData = data && Object.keys(data).length > 0;
        const failed = data?.ok === false || event.type === 'error';
        const className = `event event-${event.type.replace(/[^a-z_]/gi, '_')} ${failed ? 'event-failed' : ''}`;
        const head = (
          <>
            <time dateTime={event.createdAt} className="event-time">
              {clock(event.createdAt)}
            </time>
            <span className={`event-kind kind-${kindOf(event).replace(/\W/g, '')}`}>{kindOf(event)}</span>
            {event.role ? <span className="event-role">{event.role}</span> : null}
            <span className="event-summary">
              {event.type === 'handoff' && data?.from && data?.to ? (
                <strong>
                  {String(data.from)} → {String(data.to)}
                </strong>
              ) : null}{' '}
              {event.summary}
            </span>
          </>
        );
        return [
          separator,
          <li key={event.id} className={className} data-event-id={event.id} data-event-type={event.type}>
            {hasData ? (
              <details>
                <summary>{head}</summary>
                <Details event={event} />
              </details>
            ) : (
              <div className="event-row">{head}</div>
            )}
          </li>,
        ];
      })}
    </ol>
  );
});
