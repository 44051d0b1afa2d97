import { useEffect, useState } from 'react';
import { DiffView } from '@/components/ui/diff-view';
import { ErrorMessage, LiveDot, Loading, Panel } from '@/components/ui/feedback';
import { StatusBadge } from '@/components/ui/status-badge';
import { ago } from '@/lib/format';
import { Link } from '@/lib/router';
import { useJob } from '../api/get-job';
import { useJobDiff } from '../api/get-job-diff';
import { useJobEvents } from '../api/get-job-events';
import { useCancelJob, useRetryJob } from '../api/job-actions';
import { FINISHED, type JobResponse } from '../api/types';
import { useJobStream } from '../api/use-job-stream';
import { BudgetMeters, Evaluation, IntentAndPlan, InternalJobs, Ledger, Outcome, Reviews, TruthPack } from './job-panels';
import { CAP_OF_CODE, RaiseCapForm, doubled } from './cap-choices';
import { PendingDiff } from './decision-evidence';
import { RespondForm } from './respond-form';
import { Timeline } from './timeline';

/** One job, live: timeline, budgets, intent and plan, diff, review, evaluation, TruthPack, ledger, actions. */
export function JobDetailPage({ id }: { id: string }) {
  const job = useJob(id);
  const events = useJobEvents(id);
  // Follows the job's current run: a retry's run opens its own stream (the old one ended with its run).
  const stream = useJobStream(id, job.data?.run);
  const cancel = useCancelJob();
  const retry = useRetryJob();
  const finished = job.data ? FINISHED.includes(job.data.status) : false;
  const diff = useJobDiff(id, finished);
  const now = useNow(job.data?.status === 'running' || job.data?.status === 'queued' || job.data?.status === 'waiting_human');

  if (job.isPending) return <Loading />;
  if (!job.data)
    return (
      <div className="page">
        <ErrorMessage error={job.error ?? 'Job not found'} title="Could not load the job" />
        <button type="button" className="btn" onClick={() => void job.refetch()}>
          Try again
        </button>
      </div>
    );
  const j = job.data;
  // What was shown stays shown while the server is away: a banner says so, and offers to try now.
  const lost = !!job.error || stream === 'reconnecting';
  const canCancel = ['queued', 'running', 'waiting_human'].includes(j.status);
  const canRetry = ['failed', 'aborted'].includes(j.status);
  // A job a cap stopped is offered what an escalation offers: genius mode, or that cap raised.
  const stoppedAt = j.error ? CAP_OF_CODE[j.error.code] : undefined;

  return (
    <div className="page job-detail">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/jobs">Jobs</Link> / <span className="muted">{j.id.slice(0, 8)}</span>
      </nav>
      <header className="page-head">
        <div>
          <h1 className="job-title">{j.goal}</h1>
          <p className="muted small">
            {j.repo} · {j.mode} · <span data-attempt={j.run}>attempt {j.run}</span> · created{' '}
            <time dateTime={j.createdAt}>{ago(j.createdAt, now)}</time>
            {j.status === 'running' && j.currentAction ? <> · now: {j.currentAction}</> : null}
            {j.status === 'waiting_human' ? <> · waiting for you</> : null}
          </p>
          {j.lastResponse ? <LastResponse response={j.lastResponse} /> : null}
        </div>
        <div className="row">
          <StatusBadge status={j.status} />
          <LiveDot state={stream} />
          {canCancel ? (
            <button type="button" className="btn btn-danger" disabled={cancel.isPending} onClick={() => cancel.mutate(j.id)}>
              Cancel
            </button>
          ) : null}
          {canRetry ? (
            <button type="button" className="btn" disabled={retry.isPending} onClick={() => retry.mutate(j.id)}>
              Retry
            </button>
          ) : null}
        </div>
      </header>
      <nav className="jump row small" aria-label="Jump to">
        <span className="muted">Jump to:</span>
        <a href="#outcome-title">Outcome</a>
        <a href="#review-title">Review</a>
        <a href="#diff-title">Changes</a>
        <a href="#truthpack-title">TruthPack</a>
        <a href="#ledger-title">Ledger</a>
      </nav>
      {lost ? (
        <div className="banner banner-warn" role="status" data-connection="reconnecting">
          Reconnecting… the server cannot be reached right now; this page keeps what it last showed.{' '}
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              void job.refetch();
              void events.refetch();
            }}
          >
            Retry now
          </button>
        </div>
      ) : null}
      {canRetry && stoppedAt ? (
        <Panel title="Stopped at a cap" id="retry-choices">
          <p className="muted">{j.error?.message} Retry with more room continues from where it stopped; a plain Retry starts over.</p>
          <div className="stack">
            {j.mode === 'mechanic' ? (
              <div className="row">
                <button
                  type="button"
                  className="btn btn-primary"
                  disabled={retry.isPending}
                  onClick={() => retry.mutate({ id: j.id, mode: 'genius' })}
                >
                  Retry in genius mode
                </button>
              </div>
            ) : null}
            <RaiseCapForm
              cap={stoppedAt}
              current={j.caps[stoppedAt]}
              suggested={doubled(stoppedAt, j.caps[stoppedAt])}
              label="Retry with the cap raised"
              disabled={retry.isPending}
              onRaise={(caps) => retry.mutate({ id: j.id, caps })}
            />
          </div>
        </Panel>
      ) : null}
      <ErrorMessage error={cancel.error ?? retry.error} title="Action failed" />
      {j.status === 'waiting_human' ? (
        <Panel title="Waiting for you" id="waiting">
          <RespondForm jobId={j.id} pending={j.pendingQuestion} />
        </Panel>
      ) : null}
      <div className="detail-grid">
        <div className="stack">
          <Panel title="Budget" id="budget">
            <BudgetMeters job={j} now={now} />
          </Panel>
          <Panel title="Intent and plan" id="plan">
            <IntentAndPlan job={j} />
          </Panel>
          <Panel title="Outcome" id="outcome">
            <Outcome job={j} />
          </Panel>
          <Panel title="Review" id="review">
            <Reviews job={j} />
          </Panel>
          <Panel title="Evaluation" id="evaluation">
            <Evaluation jobId={j.id} run={j.run} finished={finished} />
          </Panel>
          <Panel title="Internal jobs" id="internal-jobs">
            <InternalJobs job={j} />
          </Panel>
        </div>
        <Panel title={`Timeline (${events.data?.length ?? 0})`} id="timeline">
          {events.data ? null : <ErrorMessage error={events.error} />}
          {events.isPending ? <Loading /> : <Timeline events={events.data ?? []} currentRun={j.run} />}
        </Panel>
      </div>
      <Panel title="Changes" id="diff">
        {j.status === 'waiting_human' ? (
          <>
            <p className="muted">Not published yet: the change as it waits for a decision.</p>
            <PendingDiff jobId={j.id} />
          </>
        ) : !finished ? (
          <p className="muted">Shown once the job ends.</p>
        ) : diff.isPending ? (
          <Loading />
        ) : diff.error ? (
          <ErrorMessage error={diff.error} />
        ) : (
          <DiffView diff={diff.data ?? ''} />
        )}
      </Panel>
      <Panel title="TruthPack" id="truthpack">
        <TruthPack jobId={j.id} finished={finished} />
      </Panel>
      <Panel title="Ledger" id="ledger">
        <Ledger jobId={j.id} />
      </Panel>
    </div>
  );
}

const DID: Record<JobResponse['action'], string> = {
  approve: 'Approved',
  reject: 'Rejected',
  answer: 'Answered',
  escalate: 'Continued in genius mode',
  raise_cap: 'Cap raised',
};

/** The time now, ticking each second while `live` (durations and "ago" move while a job runs). */
function useNow(live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

/** Who last approved, rejected or answered the job, through what, and when. */
function LastResponse({ response }: { response: JobResponse }) {
  const via = response.via
    ? response.via.channel === 'chat'
      ? 'in chat'
      : response.via.auth === 'cookie'
        ? 'in the dashboard'
        : 'through the API'
    : null;
  return (
    <p className="muted small" aria-label="Last response">
      {DID[response.action]} by <code>{response.by}</code>
      {via ? <> {via}</> : null}
      {response.question ? <> ({response.question.question})</> : null} ·{' '}
      <time dateTime={response.respondedAt}>{ago(response.respondedAt)}</time>
    </p>
  );
}
