import { DiffView } from '@/components/ui/diff-view';
import { ErrorMessage, Loading } from '@/components/ui/feedback';
import { useJobDiff } from '../api/get-job-diff';
import type { PendingQuestion } from '../api/types';

/** What a gate's question carries for the person deciding (PendingQuestion.data.evidence). */
interface GateEvidence {
  reviews?: { verdict: string; summary?: string; comments?: { path?: string; line?: number; comment: string }[] }[];
  builderSummary?: string | null;
  committed?: boolean;
  /** What Approve will do: commit and push the change, push what is committed, keep it as a patch (no_commit), or nothing. */
  onApprove?: 'commit_and_push' | 'push' | 'patch_only' | 'nothing_to_publish';
  tests?: {
    passed: number;
    failed: number;
    green: boolean;
    timedOut?: boolean;
    failures?: { name?: string; excerpt?: string }[];
    outputTail?: string | null;
  } | null;
  lint?: {
    errors: number;
    warnings: number;
    diagnostics?: { path?: string; line?: number; message?: string; severity?: string }[];
    outputTail?: string | null;
  } | null;
}

interface QualityVerdict {
  verdict?: string;
  score?: number;
  failing?: string[];
  checks?: { id?: string; name?: string; passed?: boolean; ok?: boolean; detail?: string }[];
}

const ON_APPROVE: Record<NonNullable<GateEvidence['onApprove']>, string> = {
  commit_and_push: 'Approve commits this change as it is and pushes it, recording you as the approver and the failing checks.',
  push: 'Approve publishes the committed change and pushes it, recording you as the approver.',
  patch_only: 'The request said not to commit: Approve keeps the change as a patch on the job; nothing is committed or pushed.',
  nothing_to_publish: 'There is no change to publish: Approve lets the job finish with its answer.',
};

/** The evidence of a waiting approval, or null when the question carries none. */
export function evidenceOf(pending: PendingQuestion | null | undefined) {
  const data = (pending?.data ?? {}) as { evidence?: GateEvidence; quality?: QualityVerdict; review?: GateEvidence['reviews'] };
  if (!data.evidence && !data.quality) return null;
  return { evidence: data.evidence ?? {}, quality: data.quality ?? null };
}

/**
 * What an approval is about, beside the question: the failing checks with their output, the
 * reviews, the Builder's own words (a claim, set apart from the evidence), and — on a card — the
 * diff as it waits. Approving commits and pushes it; the panel says so before you answer.
 */
export function DecisionEvidence({ jobId, pending, withDiff }: { jobId: string; pending: PendingQuestion; withDiff: boolean }) {
  const found = evidenceOf(pending);
  if (!found) return null;
  const { evidence, quality } = found;
  const failing = quality?.failing ?? [];
  const tests = evidence.tests;
  const lint = evidence.lint;
  return (
    <div className="evidence stack" aria-label="Evidence for this decision">
      <section aria-label="Failing checks">
        <h3>Checks</h3>
        {failing.length ? (
          <ul className="checks">
            {failing.map((name) => (
              <li key={name} data-check={name}>
                <span className="tag tag-bad">failing</span> <strong>{name}</strong>
                {quality?.checks?.find((c) => (c.id ?? c.name) === name)?.detail ? (
                  <span className="muted"> — {quality.checks.find((c) => (c.id ?? c.name) === name)?.detail}</span>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No check failed.</p>
        )}
        {tests ? (
          <div>
            <p>
              Tests: {tests.passed} passed, {tests.failed} failed{tests.timedOut ? ', timed out' : ''}.
            </p>
            {tests.failures?.length ? (
              <ul>
                {tests.failures.map((f, i) => (
                  <li key={i}>
                    <code>{f.name}</code>
                    {f.excerpt ? <pre className="code-block">{f.excerpt}</pre> : null}
                  </li>
                ))}
              </ul>
            ) : null}
            {tests.outputTail ? (
              <details>
                <summary>Test output</summary>
                <pre className="code-block">{tests.outputTail}</pre>
              </details>
            ) : null}
          </div>
        ) : (
          <p>Tests: not run.</p>
        )}
        {lint ? (
          <p>
            Lint: {lint.errors} error(s), {lint.warnings} warning(s).
          </p>
        ) : null}
      </section>
      {evidence.reviews?.length ? (
        <section aria-label="Review">
          <h3>Review</h3>
          <ul>
            {evidence.reviews.map((r, i) => (
              <li key={i} className="review">
                <span className={`tag tag-${r.verdict === 'approve' ? 'ok' : 'warn'}`}>{r.verdict.replace(/_/g, ' ')}</span> {r.summary}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {evidence.builderSummary ? (
        <section aria-label="The Builder’s claim">
          <h3>The Builder says</h3>
          <blockquote className="claim">{evidence.builderSummary}</blockquote>
          <p className="muted small">A claim, not evidence: the checks above are what was measured.</p>
        </section>
      ) : null}
      {withDiff ? <PendingDiff jobId={jobId} /> : null}
      <p className="muted small" role="note">
        {ON_APPROVE[evidence.onApprove ?? (evidence.committed === false ? 'commit_and_push' : 'push')]}
      </p>
    </div>
  );
}

/** The change a waiting job would publish. */
export function PendingDiff({ jobId }: { jobId: string }) {
  const diff = useJobDiff(jobId, true, 'pending');
  return (
    <section aria-label="Changes to approve">
      <h3>Changes</h3>
      {diff.isPending ? <Loading /> : diff.error ? <ErrorMessage error={diff.error} /> : <DiffView diff={diff.data ?? ''} />}
    </section>
  );
}
