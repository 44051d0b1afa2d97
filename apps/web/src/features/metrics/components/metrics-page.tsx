import { useState } from 'react';
import { BarList, LineChart } from '@/components/ui/chart';
import { ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { compact, dollars, duration, percent } from '@/lib/format';
import { type MetricsView, useMetrics, useMetricsLive } from '../api/metrics';

const WINDOWS = [
  { label: 'Last 24 hours', hours: 24, series: 'hourly' },
  { label: 'Last 7 days', hours: 24 * 7, series: 'daily' },
  { label: 'Last 30 days', hours: 24 * 30, series: 'daily' },
] as const;

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      {hint ? <span className="muted small">{hint}</span> : null}
    </div>
  );
}

function bucketLabel(iso: string, daily: boolean) {
  const d = new Date(iso);
  return daily
    ? d.toLocaleDateString([], { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The metrics API as numbers and charts, kept live by the metrics stream. */
export function MetricsPage() {
  const [windowIndex, setWindowIndex] = useState(0);
  // The default window is the server's; other windows pass `since` rounded to the hour so the key is stable.
  const [since, setSince] = useState<string | undefined>(undefined);
  const chooseWindow = (index: number) => {
    setWindowIndex(index);
    setSince(
      index === 0 ? undefined : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - WINDOWS[index].hours * 3_600_000).toISOString(),
    );
  };
  const win = WINDOWS[windowIndex];
  const metrics = useMetrics(since);
  const live = useMetricsLive(since);
  const m = metrics.data as MetricsView | undefined;
  // One queue-depth sample per metrics answer (live updates included), kept while the page is open.
  const [queueSamples, setQueueSamples] = useState<{ at: string; depth: number }[]>([]);
  const [sampled, setSampled] = useState<MetricsView | undefined>(undefined);
  if (m && m !== sampled) {
    setSampled(m);
    setQueueSamples((samples) => [...samples, { at: new Date(metrics.dataUpdatedAt).toISOString(), depth: m.queue.depth }].slice(-60));
  }

  return (
    <div className="page">
      <header className="page-head">
        <h1>Metrics</h1>
        <div className="row">
          <LiveDot state={live} />
          <label>
            Window{' '}
            <select value={windowIndex} onChange={(e) => chooseWindow(Number(e.target.value))}>
              {WINDOWS.map((w, i) => (
                <option key={w.label} value={i}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <ErrorMessage error={metrics.error} title="Could not load metrics" />
      {metrics.isPending || !m ? (
        metrics.error ? null : (
          <Loading />
        )
      ) : (
        <MetricsBody m={m} daily={win.series === 'daily'} queueSamples={queueSamples} />
      )}
    </div>
  );
}

function MetricsBody({ m, daily, queueSamples }: { m: MetricsView; daily: boolean; queueSamples: { at: string; depth: number }[] }) {
  const series = (daily ? m.series.daily : m.series.hourly) ?? [];
  const labels = series.map((b) => bucketLabel(b.bucket, daily));
  return (
    <div className="stack">
      <div className="stats">
        <Stat label="Jobs" value={String(m.jobs.total)} />
        <Stat label="Success rate" value={percent(m.successRate)} />
        <Stat label="Duration p50 / p95" value={`${duration(m.durationMs.p50)} / ${duration(m.durationMs.p95)}`} />
        <Stat label="Tokens" value={compact(m.tokens.total)} hint={`${compact(m.tokens.perSucceededJob)} per succeeded job`} />
        <Stat label="Cost" value={dollars(m.costCents.total)} hint={`${dollars(m.costCents.perSucceededJob)} per succeeded job`} />
        <Stat
          label="Queue"
          value={String(m.queue.depth)}
          hint={m.queue.oldestQueuedAgeMs ? `oldest ${duration(m.queue.oldestQueuedAgeMs)}` : 'empty'}
        />
        <Stat
          label="Workers alive"
          value={String(m.workers.alive)}
          hint={
            m.workers.sandbox
              ? m.workers.sandbox.unavailable
                ? `${m.workers.sandbox.unavailable} cannot run tests`
                : m.workers.sandbox.disabled
                  ? `${m.workers.sandbox.disabled} without sandbox`
                  : `${m.workers.sandbox.ok} with a working sandbox`
              : undefined
          }
        />
        <Stat label="Escalation rate" value={percent(m.escalationRate)} />
        <Stat label="Evaluation (overall)" value={percent(m.evaluations.overall)} hint={`${m.evaluations.count} scored`} />
      </div>
      <div className="charts">
        <LineChart
          title="Success rate"
          labels={labels}
          format={(n) => percent(n)}
          series={[
            {
              label: 'succeeded / finished',
              color: 'var(--ok)',
              values: series.map((b) => (b.succeeded + b.failed ? b.succeeded / (b.succeeded + b.failed) : null)),
            },
          ]}
        />
        <LineChart
          title="Jobs"
          labels={labels}
          series={[
            { label: 'jobs', color: 'var(--accent)', values: series.map((b) => b.jobs) },
            { label: 'failed', color: 'var(--bad)', values: series.map((b) => b.failed) },
          ]}
        />
        <LineChart
          title="Duration (p50)"
          labels={labels}
          format={duration}
          series={[{ label: 'p50', color: 'var(--accent)', values: series.map((b) => b.p50DurationMs) }]}
        />
        <LineChart
          title="Cost"
          labels={labels}
          format={dollars}
          series={[{ label: 'cost', color: 'var(--warn)', values: series.map((b) => b.costCents) }]}
        />
        <LineChart
          title="Tokens"
          labels={labels}
          format={compact}
          series={[{ label: 'tokens', color: 'var(--accent-2)', values: series.map((b) => b.tokens) }]}
        />
        <LineChart
          title="Queue depth (live, this session)"
          labels={queueSamples.map((s) => bucketLabel(s.at, false))}
          series={[{ label: 'queued jobs', color: 'var(--accent)', values: queueSamples.map((s) => s.depth) }]}
        />
        <BarList
          title="Jobs by status"
          items={Object.entries(m.jobs.byStatus).map(([label, value]) => ({ label, value: Number(value), className: `fill-${label}` }))}
        />
        <BarList title="Jobs by mode" items={Object.entries(m.jobs.byMode).map(([label, value]) => ({ label, value: Number(value) }))} />
      </div>
    </div>
  );
}
