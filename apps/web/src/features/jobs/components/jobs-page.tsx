import { useRef, useState } from 'react';
import { Empty, ErrorMessage, LiveDot, Loading, Panel } from '@/components/ui/feedback';
import { StatusBadge } from '@/components/ui/status-badge';
import { ago, compact, dollars } from '@/lib/format';
import { Link, navigate, useLocation } from '@/lib/router';
import { type JobFilters, useJobs } from '../api/get-jobs';
import { JOB_MODES, JOB_STATUSES, type JobMode, type JobStatus, type JobView } from '../api/types';
import { useJobsLiveState } from '../api/use-jobs-live';
import { NewJobForm } from './new-job-form';

const STATUS_LABEL: Record<string, string> = { waiting_human: 'waiting for you' };

/** The jobs list (live) with status and mode filters, and the new-job form. */
export function JobsPage() {
  const { search } = useLocation();
  const filters: JobFilters = {
    status: (search.get('status') as JobStatus) || undefined,
    mode: (search.get('mode') as JobMode) || undefined,
  };
  const jobs = useJobs(filters);
  const live = useJobsLiveState();
  const [showForm, setShowForm] = useState(search.get('new') === '1');
  const toggle = useRef<HTMLButtonElement>(null);
  // Closing the form (Escape, or Close) gives the focus back to the button that opened it.
  const closeForm = () => {
    setShowForm(false);
    toggle.current?.focus();
  };
  const filtered = !!(filters.status || filters.mode);

  const setFilter = (name: 'status' | 'mode', value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`/jobs${text ? `?${text}` : ''}`, { replace: true });
  };

  return (
    <div className="page">
      <header className="page-head">
        <h1>Jobs</h1>
        <div className="row">
          <LiveDot state={live} />
          <button
            ref={toggle}
            type="button"
            className="btn btn-primary"
            aria-expanded={showForm}
            aria-controls="new-job"
            onClick={() => setShowForm((v) => !v)}
          >
            {showForm ? 'Close' : 'New job'}
          </button>
        </div>
      </header>
      {showForm ? (
        <div id="new-job">
          <Panel title="New job">
            <NewJobForm onClose={closeForm} />
          </Panel>
        </div>
      ) : null}
      <div className="filters row" role="group" aria-label="Filters">
        <label>
          Status{' '}
          <select value={filters.status ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">All</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s] ?? s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode{' '}
          <select value={filters.mode ?? ''} onChange={(e) => setFilter('mode', e.target.value)}>
            <option value="">All</option>
            {JOB_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorMessage error={jobs.error} title="Could not load jobs" />
      {jobs.isPending ? (
        <Loading />
      ) : jobs.data?.items.length ? (
        <JobList jobs={jobs.data.items} />
      ) : filtered ? (
        <Empty>
          No jobs match these filters.{' '}
          <button type="button" className="btn btn-small" onClick={() => navigate('/jobs', { replace: true })}>
            Clear filters
          </button>
        </Empty>
      ) : (
        <Empty>
          No jobs yet: describe a change and the team takes it from there.{' '}
          <button type="button" className="btn btn-small btn-primary" onClick={() => setShowForm(true)}>
            Start your first job
          </button>
        </Empty>
      )}
    </div>
  );
}

/** Jobs as a table on wide screens and as cards on a phone (CSS). */
export function JobList({ jobs }: { jobs: JobView[] }) {
  return (
    <table className="jobs-table">
      <thead>
        <tr>
          <th scope="col">Goal</th>
          <th scope="col">Status</th>
          <th scope="col">Mode</th>
          <th scope="col">Now</th>
          <th scope="col">Tokens</th>
          <th scope="col">Cost</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-job-id={job.id}>
            <td data-label="Goal">
              <div>
                <Link to={`/jobs/${job.id}`} className="job-goal">
                  {job.goal}
                </Link>
                <div className="muted small">{job.repo}</div>
              </div>
            </td>
            <td data-label="Status">
              <StatusBadge status={job.status} />
            </td>
            <td data-label="Mode">{job.mode}</td>
            <td data-label="Now" className="muted small">
              {job.status === 'running' ? (job.currentAction ?? '—') : '—'}
            </td>
            <td data-label="Tokens">{compact(job.usage.tokens)}</td>
            <td data-label="Cost">{dollars(job.usage.costCents)}</td>
            <td data-label="Created">
              <time dateTime={job.createdAt}>{ago(job.createdAt)}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
