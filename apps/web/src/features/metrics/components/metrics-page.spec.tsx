import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeEventSource } from '@/test/fake-event-source';
import { mockApi, renderWithClient } from '@/test/render';
import { MetricsPage } from './metrics-page';

const bucket = (hour: number, jobs: number, succeeded: number, failed: number) => ({
  bucket: `2026-11-25T${String(hour).padStart(2, '0')}:00:00Z`,
  jobs,
  succeeded,
  failed,
  tokens: jobs * 1000,
  costCents: jobs * 2,
  p50DurationMs: 4000,
});
const metrics = (overrides: object = {}) => ({
  since: '2026-11-24T12:00:00Z',
  jobs: { byStatus: { succeeded: 8, failed: 2 }, byMode: { mechanic: 9, genius: 1 }, total: 10 },
  successRate: 0.8,
  durationMs: { p50: 4200, p95: 61000 },
  tokens: { total: 120000, perJob: 12000, perSucceededJob: 15000 },
  costCents: { total: 250, perJob: 25, perSucceededJob: 31 },
  queue: { depth: 3, oldestQueuedAgeMs: 5000 },
  workers: { alive: 2 },
  escalationRate: 0.1,
  evaluations: { count: 8, correctness: 0.9, efficiency: 0.7, honesty: 1, safety: 1, overall: 0.88 },
  series: { hourly: [bucket(10, 4, 3, 1), bucket(11, 6, 5, 1)], daily: [bucket(0, 10, 8, 2)] },
  ...overrides,
});

describe('MetricsPage', () => {
  it('shows the numbers and charts of the metrics API', async () => {
    mockApi({ 'GET /api/metrics': () => metrics() });
    renderWithClient(<MetricsPage />);
    expect(await screen.findByText('80%')).toBeTruthy();
    expect(screen.getByText('4.2 s / 1 min 1 s')).toBeTruthy();
    expect(screen.getByText('$2.50')).toBeTruthy();
    expect(screen.getByRole('img', { name: /Success rate: succeeded \/ finished latest 83%/ })).toBeTruthy();
    expect(screen.getByRole('img', { name: /Cost: cost latest \$0\.120/ })).toBeTruthy();
  });

  it('updates live from the metrics stream', async () => {
    mockApi({ 'GET /api/metrics': () => metrics() });
    renderWithClient(<MetricsPage />);
    await screen.findByText('80%');
    await waitFor(() => expect(FakeEventSource.find('/api/metrics/stream')).toBeTruthy());
    act(() =>
      FakeEventSource.find('/api/metrics/stream')!.emit(
        'metrics',
        metrics({ successRate: 0.5, queue: { depth: 7, oldestQueuedAgeMs: 1000 } }),
      ),
    );
    expect(await screen.findByText('50%')).toBeTruthy();
    expect(screen.getByText('Queue').parentElement?.textContent).toContain('7');
  });
});
