import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { FakeEventSource } from './fake-event-source';

beforeEach(() => {
  FakeEventSource.reset();
  (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
  window.history.replaceState(null, '', '/');
  localStorage.clear();
});
afterEach(() => cleanup());
