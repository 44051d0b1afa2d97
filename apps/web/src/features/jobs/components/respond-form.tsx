import { type FormEvent, useId, useState } from 'react';
import { ErrorMessage } from '@/components/ui/feedback';
import { useRespondToJob } from '../api/job-actions';
import type { JobView, PendingQuestion, RespondAction } from '../api/types';
import { DecisionEvidence } from './decision-evidence';
import { type CapName, RaiseCapForm } from './cap-choices';

/** The raise an escalation offers (PendingQuestion.data.raise). */
interface RaiseOffer {
  cap: CapName;
  current: number;
  suggested: number;
  max: number;
}

/**
 * Answers a waiting job in place, offering only the actions its question takes (the server lists
 * them): approve / reject an approval, type an answer to a question (or reject it), or settle an
 * escalation: continue in genius mode, raise the cap it reached, or reject (the job resumes from
 * its checkpoint either way it goes on).
 */
export function RespondForm({
  jobId,
  pending,
  withDiff = false,
  onDecided,
}: {
  jobId: string;
  pending: PendingQuestion | null | undefined;
  /** Show the change to approve in place (a card; the job page has its own Changes panel). */
  withDiff?: boolean;
  /** Called once the server took the decision, with the job as it is now. */
  onDecided?: (job: JobView, action: RespondAction) => void;
}) {
  const respond = useRespondToJob({ onDecided });
  const [answer, setAnswer] = useState('');
  const id = useId();
  const actions: RespondAction[] = pending?.actions ?? ['reject'];
  const can = (action: RespondAction) => actions.includes(action);
  const raise = (pending?.data?.raise ?? null) as RaiseOffer | null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!answer.trim()) return;
    respond.mutate({ id: jobId, action: 'answer', answer: answer.trim() }, { onSuccess: () => setAnswer('') });
  };
  const reject = can('reject') ? (
    <button
      type="button"
      className="btn btn-danger"
      disabled={respond.isPending}
      onClick={() => respond.mutate({ id: jobId, action: 'reject' })}
    >
      Reject
    </button>
  ) : null;

  return (
    <div className="respond">
      <p className="question">
        <span className="muted">{pending?.askedBy ? `${pending.askedBy} asks` : 'The team asks'}:</span>{' '}
        <strong>{pending?.question ?? 'Waiting for you.'}</strong>
      </p>
      {pending?.kind === 'approval' ? <DecisionEvidence jobId={jobId} pending={pending} withDiff={withDiff} /> : null}
      {pending?.kind === 'escalation' ? (
        <div className="stack">
          {can('escalate') ? (
            <div className="row">
              <button
                type="button"
                className="btn btn-primary"
                disabled={respond.isPending}
                onClick={() => respond.mutate({ id: jobId, action: 'escalate' })}
              >
                Continue in genius mode
              </button>
            </div>
          ) : null}
          {can('raise_cap') && raise ? (
            <RaiseCapForm
              {...raise}
              label="Raise the cap"
              disabled={respond.isPending}
              onRaise={(caps) => respond.mutate({ id: jobId, action: 'raise_cap', caps })}
            />
          ) : null}
          <div className="row">{reject}</div>
        </div>
      ) : can('answer') ? (
        <form onSubmit={submit} className="stack">
          <label htmlFor={`${id}-answer`}>Your answer</label>
          <textarea id={`${id}-answer`} rows={2} value={answer} onChange={(e) => setAnswer(e.target.value)} required />
          {pending?.options?.length ? (
            <div className="row" aria-label="Suggested answers">
              {pending.options.map((option) => (
                <button key={option} type="button" className="btn btn-small" onClick={() => setAnswer(option)}>
                  {option}
                </button>
              ))}
            </div>
          ) : null}
          <div className="row">
            <button type="submit" className="btn btn-primary" disabled={respond.isPending || !answer.trim()}>
              Send answer
            </button>
            {reject}
          </div>
        </form>
      ) : (
        <div className="row">
          {can('approve') ? (
            <button
              type="button"
              className="btn btn-primary"
              disabled={respond.isPending}
              onClick={() => respond.mutate({ id: jobId, action: 'approve' })}
            >
              Approve
            </button>
          ) : null}
          {reject}
        </div>
      )}
      {respond.isSuccess ? (
        <p className="muted" role="status">
          Sent — the job resumes.
        </p>
      ) : null}
      <ErrorMessage error={respond.error} title="Could not respond" />
    </div>
  );
}
