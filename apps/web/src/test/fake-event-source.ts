/** An in-memory EventSource: tests push named events into the streams the UI opened. */
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  static reset() {
    FakeEventSource.instances = [];
  }
  /** The open stream whose URL starts with `prefix` (the newest one). */
  static find(prefix: string): FakeEventSource | undefined {
    return [...FakeEventSource.instances].reverse().find((s) => s.url.startsWith(prefix) && s.readyState !== FakeEventSource.CLOSED);
  }

  readyState = FakeEventSource.CONNECTING;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readonly withCredentials: boolean;

  constructor(
    readonly url: string,
    init?: { withCredentials?: boolean },
  ) {
    super();
    this.withCredentials = !!init?.withCredentials;
    FakeEventSource.instances.push(this);
    queueMicrotask(() => {
      if (this.readyState === FakeEventSource.CLOSED) return;
      this.readyState = FakeEventSource.OPEN;
      this.onopen?.(new Event('open'));
    });
  }

  /** Delivers a named event with JSON data, as the server would. */
  emit(type: string, data: unknown, id?: string | number) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: id === undefined ? '' : String(id) }));
  }

  /** A dropped connection the browser retries by itself. */
  drop() {
    this.readyState = FakeEventSource.CONNECTING;
    this.onerror?.(new Event('error'));
  }

  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
}
