import { useState } from 'react';
import { Empty, ErrorMessage, LiveDot, Loading } from '@/components/ui/feedback';
import { StatusBadge } from '@/components/ui/status-badge';
import { ago } from '@/lib/format';
import { Link } from '@/lib/router';
import { useJob } from '../api/get-job';
import { useJobs } from '../api/get-jobs';
import type { JobView, RespondAction } from '../api/types';
import { useJobStream } from '../api/use-job-stream';
import { useJobsLiveState } from '../api/use-jobs-live';
import { RespondForm } from './respond-form';

interface Decision {
  job: JobView;
  action: RespondAction;
}

/** Every job waiting for a person, with its question and evidence, answerable in place; a decided card says what came of it. */
export function NeedsAttentionPage() {
  const jobs = useJobs({ status: 'waiting_human', limit: 200 });
  const live = useJobsLiveState();
  const [decided, setDecided] = useState<Decision[]>([]);
  const waiting = (jobs.data?.items ?? []).filter((job) => !decided.some((d) => d.job.id === job.id));
  const decide = (job: JobView, action: RespondAction) => setDecided((all) => [{ job, action }, ...all.filter((d) => d.job.id !== job.id)]);
  return (
    <div className="page">
      <header className="page-head">
        <h1>Needs attention</h1>
        <LiveDot state={live} />
      </header>
      <ErrorMessage error={jobs.error} title="Could not load waiting jobs" />
      {decided.length ? (
        <ul className="cards" aria-label="Decided">
          {decided.map((d) => (
            <DecidedCard key={d.job.id} decision={d} />
          ))}
        </ul>
      ) : null}
      {jobs.isPending ? (
        <Loading />
      ) : waiting.length ? (
        <ul className="cards" aria-label="Waiting for you">
          {waiting.map((job) => (
            <li key={job.id} className="card" data-job-id={job.id}>
              <header className="card-head">
                <Link to={`/jobs/${job.id}`} className="job-goal">
                  {job.goal}
                </Link>
                <span className="muted small">
                  {job.repo} · waiting since <time dateTime={job.updatedAt}>{ago(job.updatedAt)}</time>
                </span>
              </header>
              <RespondForm jobId={job.id} pending={job.pendingQuestion} withDiff onDecided={decide} />
            </li>
          ))}
        </ul>
      ) : (
        <Empty>
          Nothing is waiting for you. <Link to="/jobs">See all jobs</Link> or <Link to="/jobs?new=1">start a new one</Link>.
        </Empty>
      )}
    </div>
  );
}

/** A card after its decision: what you decided, and what the job did with it, live. */
function DecidedCard({ decision }: { decision: Decision }) {
  const job = useJob(decision.job.id);
  useJobStream(decision.job.id);
  const j = job.data ?? decision.job;
  return (
    <li className="card card-decided" data-job-id={j.id} data-decided={decision.action}>
      <header className="card-head">
        <Link to={`/jobs/${j.id}`} className="job-goal">
          {j.goal}
        </Link>
        <StatusBadge status={j.status} />
      </header>
      <p role="status" aria-live="polite">
        {outcomeOf(decision.action, j)}
      </p>
    </li>
  );
}

const YOU: Record<RespondAction, string> = {
  approve: 'You approved it.',
  reject: 'You rejected it.',
  answer: 'Your answer was sent.',
  escalate: 'You let it continue in genius mode.',
  raise_cap: 'You raised its cap.',
};

/** One sentence: the decision, then what the job has done since, from its status and result. */
export function outcomeOf(action: RespondAction, job: JobView): string {
  const result = (job.result ?? {}) as { commit?: string | null; branch?: string | null; pushed?: boolean };
  const you = YOU[action];
  switch (job.status) {
    case 'queued':
    case 'running':
      return `${you} The job resumes${action === 'approve' ? ': it commits and pushes the change' : ''}…`;
    case 'waiting_human':
      return `${you} The job asks again: see its page.`;
    case 'succeeded':
      return result.commit
        ? `${you} Committed ${result.commit.slice(0, 10)}${result.pushed ? ` and pushed ${result.branch ?? 'the branch'}` : ' (not pushed)'}; the job succeeded.`
        : `${you} The job succeeded.`;
    case 'failed':
      return `${you} The job failed${job.error ? `: ${job.error.message}` : ''}.`;
    case 'aborted':
    case 'cancelling':
      return action === 'reject' ? `${you} The job was stopped; nothing was published.` : `${you} The job was stopped.`;
  }
}
