import { useEffect, useLayoutEffect, useRef, useState } from 'react';

/** Connection state of a live stream, for the UI. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamHandlers {
  // Each handler types its data as the event it subscribes to (a JobView, an EventView…): `unknown` would refuse them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [event: string]: (data: any, id: string | null) => void;
}

export interface EventStreamOptions {
  /** Stop listening (and do not reconnect) after this named event, e.g. `complete`. */
  closeOn?: string;
  /** Reconnect delay when the browser gives up (server answered an error); EventSource retries itself otherwise. */
  retryMs?: number;
  /** A new value opens the stream afresh (e.g. a job's next run after a retry, once `closeOn` ended the old one). */
  generation?: string | number;
}

/**
 * Subscribes to a server-sent event stream while mounted. The browser resumes with Last-Event-ID
 * after a drop; when it gives up (readyState CLOSED) this reopens with `lastEventId=` in the query.
 * Handlers see every named event's parsed data and its id; dedupe by id is the caller's job.
 */
export function useEventStream(url: string | null, handlers: StreamHandlers, options: EventStreamOptions = {}): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handlersRef = useRef(handlers);
  useLayoutEffect(() => {
    handlersRef.current = handlers;
  });
  const names = Object.keys(handlers).sort().join(',');
  const { closeOn, retryMs = 2000, generation } = options;
  const usable = !!url && typeof EventSource !== 'undefined';
  // A new stream starts out connecting (state adjusted while rendering, not in an effect).
  const key = `${url}|${names}|${closeOn}|${generation ?? ''}`;
  const [streamKey, setStreamKey] = useState(key);
  if (key !== streamKey) {
    setStreamKey(key);
    setState('connecting');
  }

  useEffect(() => {
    if (!url || typeof EventSource === 'undefined') return;
    let source: EventSource | null = null;
    let lastId: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const open = () => {
      const target = lastId ? `${url}${url.includes('?') ? '&' : '?'}lastEventId=${encodeURIComponent(lastId)}` : url;
      source = new EventSource(target, { withCredentials: true });
      source.onopen = () => setState('open');
      source.onerror = () => {
        if (stopped || !source) return;
        if (source.readyState === EventSource.CLOSED) {
          setState('reconnecting');
          source.close();
          timer = setTimeout(open, retryMs);
        } else setState('reconnecting');
      };
      for (const name of names.split(',').filter(Boolean)) {
        source.addEventListener(name, (message) => {
          const event = message as MessageEvent<string>;
          if (event.lastEventId) lastId = event.lastEventId;
          let parsed: unknown = event.data;
          try {
            parsed = JSON.parse(event.data);
          } catch {
            // not JSON: hand over the text
          }
          handlersRef.current[name]?.(parsed, event.lastEventId || null);
          if (name === closeOn) {
            stopped = true;
            source?.close();
            setState('closed');
          }
        });
      }
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [url, names, closeOn, retryMs, generation]);

  return usable ? state : 'closed';
}

/** Calls `fn` at most once per `ms`, trailing call included. */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        fn();
      }, wait);
    }
  };
}
