import { Empty, ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { ago } from '@/lib/format';
import { Link } from '@/lib/router';
import { useJobs } from '../api/get-jobs';
import { useJobsLiveState } from '../api/use-jobs-live';
import { RespondForm } from './respond-form';

/** Every job waiting for a person, with its question, answerable in place. */
export function NeedsAttentionPage() {
  const jobs = useJobs({ status: 'waiting_human', limit: 200 });
  const live = useJobsLiveState();
  return (
    <div className="page">
      <header className="page-head">
        <h1>Needs attention</h1>
        <LiveDot state={live} />
      </header>
      <ErrorMessage error={jobs.error} title="Could not load waiting jobs" />
      {jobs.isPending ? (
        <Loading />
      ) : jobs.data?.items.length ? (
        <ul className="cards">
          {jobs.data.items.map((job) => (
            <li key={job.id} className="card" data-job-id={job.id}>
              <header className="card-head">
                <Link to={`/jobs/${job.id}`} className="job-goal">
                  {job.goal}
                </Link>
                <span className="muted small">
                  {job.repo} · waiting since <time dateTime={job.updatedAt}>{ago(job.updatedAt)}</time>
                </span>
              </header>
              <RespondForm jobId={job.id} pending={job.pendingQuestion} />
            </li>
          ))}
        </ul>
      ) : (
        <Empty>Nothing is waiting for you.</Empty>
      )}
    </div>
  );
}
