/** What a caller records; id and time are assigned on insert. */
export interface EventDraft {
  type: string;
  summary?: string;
  jobId?: string | null;
  traceId?: string | null;
  conversationId?: string | null;
  role?: string | null;
  data?: Record<string, unknown>;
}

/** Which events a reader wants; an empty filter means all. */
export interface EventFilter {
  jobId?: string;
  traceId?: string;
  conversationId?: string;
  /** Only events of these types. */
  types?: string[];
}

/** The NOTIFY channel announcing new event ids. */
export const EVENTS_CHANNEL = 'aict_events';

export function matchesFilter(
  event: { jobId: string | null; traceId: string | null; conversationId: string | null; type: string },
  filter: EventFilter,
): boolean {
  return (
    (!filter.types || filter.types.includes(event.type)) &&
    (!filter.jobId || event.jobId === filter.jobId) &&
    (!filter.traceId || event.traceId === filter.traceId) &&
    (!filter.conversationId || event.conversationId === filter.conversationId)
  );
}
