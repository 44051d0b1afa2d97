import { useState } from 'react';
import { ErrorMessage, Loading } from '@/components/ui/feedback';
import { StatusBadge } from '@/components/ui/status-badge';
import { Link } from '@/lib/router';
import { Markdown } from '@/components/ui/markdown';
import { Meter } from '@/components/ui/meter';
import { compact, dollars, duration, percent } from '@/lib/format';
import { useJobEvaluation } from '../api/get-job-evaluation';
import { useJobLedger, verifyLedger } from '../api/get-job-ledger';
import { useJobTruthPack } from '../api/get-job-truthpack';
import type { JobView, TruthPackVerificationView } from '../api/types';
import { IntentSourceLine } from './intent-source';
import { useVerifyTruthPack } from '../api/verify-truthpack';

type Result = {
  summary?: string;
  answer?: { text?: string; citations?: string[] };
  analysis?: { summary?: string; rootCause?: string; affectedFiles?: string[]; risk?: string };
  plan?: { steps?: { title: string; files?: string[]; detail?: string }[]; testStrategy?: string };
  reviews?: { verdict: string; summary?: string; comments?: { path?: string; line?: number; comment: string }[] }[];
  quality?: {
    verdict?: string;
    score?: number;
    failing?: string[];
    checks?: { name?: string; id?: string; status?: 'pass' | 'warn' | 'fail'; message?: string; detail?: string }[];
  };
  truthpack?: { root: string; size: number; keyId?: string };
  branch?: string | null;
  commit?: string | null;
  tests?: { passed?: number; failed?: number } | null;
};

export const resultOf = (job: JobView) => (job.result ?? {}) as Result;

/** Steps, tokens, cost and time used against the job's caps. */
export function BudgetMeters({ job, now }: { job: JobView; now?: number }) {
  // The stored wall time moves at checkpoints; while the job runs, the clock since it started moves each second.
  const since = now && job.status === 'running' && job.startedAt ? now - new Date(job.startedAt).getTime() : 0;
  const wallMs = Math.max(job.usage.wallMs, since);
  return (
    <div className="meters">
      <Meter label="Steps" used={job.usage.steps} cap={job.caps.maxSteps} />
      <Meter label="Tokens" used={job.usage.tokens} cap={job.caps.maxTokens} format={compact} />
      <Meter label="Cost" used={job.usage.costCents} cap={job.caps.maxCostCents} format={dollars} />
      <Meter label="Time" used={wallMs} cap={job.caps.maxWallMs} format={duration} />
    </div>
  );
}

/** What the goal was understood as, the analysis and the plan. */
export function IntentAndPlan({ job }: { job: JobView }) {
  const intent = job.intent;
  const { analysis, plan } = resultOf(job);
  return (
    <div className="stack">
      {intent ? (
        <dl className="facts">
          <dt>Intent</dt>
          <dd>
            <strong>{intent.operation}</strong> {intent.readOnly ? <span className="tag">read-only</span> : null}{' '}
            {intent.targets?.map((t) => (
              <code key={t}>{t}</code>
            ))}
          </dd>
          <dt>Confidence</dt>
          <dd>{percent(intent.confidence)}</dd>
          <dt>Read by</dt>
          <dd>
            <IntentSourceLine source={intent.source} />
          </dd>
        </dl>
      ) : (
        <p className="muted">Not parsed yet.</p>
      )}
      {job.intentLogline ? (
        <details>
          <summary>LogLine</summary>
          <pre className="code-block">{job.intentLogline}</pre>
        </details>
      ) : null}
      {analysis ? (
        <div>
          <h3>Analysis</h3>
          <p>{analysis.summary}</p>
          {analysis.rootCause ? (
            <p>
              <span className="muted">Root cause:</span> {analysis.rootCause}
            </p>
          ) : null}
        </div>
      ) : null}
      {plan?.steps?.length ? (
        <div>
          <h3>Plan</h3>
          <ol className="plan">
            {plan.steps.map((step, i) => (
              <li key={i}>
                <strong>{step.title}</strong>{' '}
                {step.files?.map((f) => (
                  <code key={f}>{f}</code>
                ))}
                {step.detail ? <p className="muted">{step.detail}</p> : null}
              </li>
            ))}
          </ol>
          {plan.testStrategy ? (
            <p>
              <span className="muted">Tests:</span> {plan.testStrategy}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/** The answer the team gave, with quality gate and tests. */
export function Outcome({ job }: { job: JobView }) {
  const result = resultOf(job);
  if (!job.result && !job.error) return <p className="muted">No result yet.</p>;
  // Only a succeeded job's answer speaks of success: a failed job's outcome is its error.
  const answer = job.status === 'succeeded' || !/\bsucceeded\b/.test(result.answer?.text ?? '') ? result.answer?.text : undefined;
  const summary = job.status === 'succeeded' || !/\bsucceeded\b/.test(result.summary ?? '') ? result.summary : undefined;
  return (
    <div className="stack">
      {job.error ? (
        <div className="alert alert-error" role="alert">
          <strong>{job.error.code}:</strong> {job.error.message}
        </div>
      ) : null}
      {answer ? <Markdown text={answer} /> : summary ? <p>{summary}</p> : null}
      {result.quality ? (
        <div>
          <p>
            Quality gate: <span className={`tag tag-${result.quality.verdict === 'OK' ? 'ok' : 'warn'}`}>{result.quality.verdict}</span>
            {result.quality.failing?.length ? <span className="muted"> failing: {result.quality.failing.join(', ')}</span> : null}
          </p>
          {result.quality.checks?.length ? (
            <details>
              <summary>Checks</summary>
              <ul className="checks" aria-label="Quality checks">
                {result.quality.checks.map((c) => (
                  <li key={c.id ?? c.name} data-check={c.id ?? c.name}>
                    <span className={`tag tag-${c.status === 'pass' ? 'ok' : c.status === 'fail' ? 'bad' : 'warn'}`}>
                      {c.status ?? '?'}
                    </span>{' '}
                    <strong>{c.id ?? c.name}</strong> <span className="muted">{c.message ?? c.detail}</span>
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </div>
      ) : null}
      {result.branch || job.branch ? (
        <p>
          Branch <code>{result.branch ?? job.branch}</code> {result.commit ? <code>{String(result.commit).slice(0, 10)}</code> : null}
        </p>
      ) : null}
    </div>
  );
}

/** The Reviewer's verdicts, round by round. */
export function Reviews({ job }: { job: JobView }) {
  // While a job waits at a gate its reviews travel with the question (the result comes at the end).
  const waiting = (job.pendingQuestion?.data as { evidence?: { reviews?: Result['reviews'] } } | undefined)?.evidence?.reviews;
  const reviews = resultOf(job).reviews ?? waiting ?? [];
  if (!reviews.length) return <p className="muted">No review yet.</p>;
  return (
    <ol className="reviews">
      {reviews.map((review, i) => (
        <li key={i} className="review">
          <p>
            <span className="muted">Round {i + 1}:</span>{' '}
            <span className={`tag tag-${review.verdict === 'approve' ? 'ok' : 'warn'}`}>{review.verdict.replace(/_/g, ' ')}</span>{' '}
            {review.summary}
          </p>
          {review.comments?.length ? (
            <ul>
              {review.comments.map((c, j) => (
                <li key={j}>
                  {c.path ? (
                    <code>
                      {c.path}
                      {c.line ? `:${c.line}` : ''}
                    </code>
                  ) : null}{' '}
                  {c.comment}
                </li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/** The Evaluator's scores of the job. */
export function Evaluation({ jobId, run, finished }: { jobId: string; run: number; finished: boolean }) {
  const evaluation = useJobEvaluation(jobId, run, finished);
  if (!finished) return <p className="muted">Scored once the job ends.</p>;
  if (evaluation.isPending) return <Loading />;
  if (evaluation.error) return <ErrorMessage error={evaluation.error} />;
  const e = evaluation.data;
  if (!e) return <p className="muted">Attempt {run} is not evaluated yet.</p>;
  const scores = [
    ['Correctness', e.correctness],
    ['Efficiency', e.efficiency],
    ['Honesty', e.honesty],
    ['Safety', e.safety],
    ['Overall', e.overall],
  ] as const;
  return (
    <div className="stack">
      <div className="meters">
        {scores.map(([label, value]) => (
          <Meter key={label} kind="score" label={label} used={Math.round(value * 100)} cap={100} format={(n) => `${n}%`} />
        ))}
      </div>
      {e.flags.length ? (
        <p>
          {e.flags.map((f) => (
            <span key={f} className="tag tag-warn">
              {f}
            </span>
          ))}
        </p>
      ) : null}
      {e.feedback ? <p>{e.feedback}</p> : null}
    </div>
  );
}

/** Internal jobs started for this one (its evaluations): hidden from the jobs list, shown here. */
export function InternalJobs({ job }: { job: JobView }) {
  const children = job.children ?? [];
  if (!children.length) return <p className="muted">None yet: the Evaluator's job starts when this one ends.</p>;
  return (
    <ul>
      {children.map((child) => (
        <li key={child.id}>
          <Link to={`/jobs/${child.id}`}>
            {child.role} job for run {child.run}
          </Link>{' '}
          <StatusBadge status={child.status} /> <span className="muted">{dollars(child.usage.costCents)}</span>
          {child.error ? <span className="muted"> — {child.error.code}</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** What a verification proved, in one line, and how to show it. */
function verdictOf(v: TruthPackVerificationView): { tone: 'ok' | 'warn' | 'bad'; state: string; text: string } {
  const problems = v.errors.map((e) => e.message).join('; ');
  if (v.valid && v.format === 'bound') return { tone: 'ok', state: 'valid', text: 'Valid: bound to this job, signed by this server’s key' };
  if (v.valid)
    return { tone: 'warn', state: 'legacy', text: 'Legacy: consistency and root signature only, not bound to a job (this server’s key)' };
  if (v.intact && v.keyTrust === 'other_key' && v.errors.every((e) => e.code === 'key_mismatch'))
    return {
      tone: 'warn',
      state: 'other-key',
      text: `Signed by another key (${v.keyId}), not this server’s current key (${v.serverKeyId}): check it against a key you trust`,
    };
  return { tone: 'bad', state: 'invalid', text: `Invalid: ${problems || 'not signed by a trusted key'}` };
}

/** The verdict as a tag: `checked` says when (`read`: as the pack was served; `now`: on demand). */
function Verdict({ verification, checked }: { verification: TruthPackVerificationView; checked: 'read' | 'now' }) {
  const verdict = verdictOf(verification);
  const state = checked === 'now' ? { 'data-verification': verdict.state } : { 'data-read-verification': verdict.state };
  return (
    <span role="status" className={`tag tag-${verdict.tone}`} {...state}>
      {verdict.text}
    </span>
  );
}

/**
 * The job's TruthPack: what its signature binds (job, repository, commits, time, key), whether the key is
 * this server's, the root and items; checked when read, and again on demand.
 */
export function TruthPack({ jobId, finished }: { jobId: string; finished: boolean }) {
  const pack = useJobTruthPack(jobId, finished);
  const verify = useVerifyTruthPack();
  if (!finished) return <p className="muted">Sealed once the job ends.</p>;
  if (pack.isPending) return <Loading />;
  if (pack.error) return <ErrorMessage error={pack.error} />;
  if (!pack.data) return <p className="muted">This job has no TruthPack.</p>;
  const p = pack.data;
  const v = p.verification;
  const s = v.statement;
  const kinds = p.items.map((item) => String((item as { kind?: string }).kind ?? '?'));
  return (
    <div className="stack">
      <Verdict verification={v} checked="read" />
      <dl className="facts">
        {s ? (
          <>
            <dt>Job</dt>
            <dd>
              <code>{s.jobId}</code>
              {s.jobId === jobId ? null : <span className="tag tag-bad"> not this job</span>}
            </dd>
            <dt>Repository</dt>
            <dd>
              <code>{s.repository}</code>
            </dd>
            <dt>Commits</dt>
            <dd>
              <code className="hash" title="base commit">
                {s.baseCommit.slice(0, 12)}
              </code>
              {' → '}
              <code className="hash" title="head commit">
                {s.headCommit.slice(0, 12)}
              </code>
            </dd>
            <dt>Sealed</dt>
            <dd>{new Date(s.sealedAt).toLocaleString()}</dd>
          </>
        ) : (
          <>
            <dt>Binding</dt>
            <dd className="muted">none: a legacy pack, signed over its root alone</dd>
          </>
        )}
        <dt>Merkle root</dt>
        <dd>
          <code className="hash">{p.root}</code>
        </dd>
        <dt>Items</dt>
        <dd>
          {p.size}: {[...new Set(kinds)].join(', ')}
        </dd>
        <dt>Signing key</dt>
        <dd>
          <code className="hash" title={v.publicKey}>
            {v.keyId}
          </code>{' '}
          {v.signedByServerKey ? (
            <span className="tag tag-ok" data-key="server">
              this server&rsquo;s key
            </span>
          ) : (
            <span className="tag tag-warn" data-key="other">
              not this server&rsquo;s current key ({v.serverKeyId})
            </span>
          )}
        </dd>
      </dl>
      <div className="row">
        <button type="button" className="btn" disabled={verify.isPending} onClick={() => verify.mutate({ pack: p.pack })}>
          {verify.isPending ? 'Verifying…' : 'Verify TruthPack'}
        </button>
        {verify.data ? <Verdict verification={verify.data} checked="now" /> : null}
      </div>
      <ErrorMessage error={verify.error} title="Could not verify" />
      <details>
        <summary>Items ({p.items.length})</summary>
        <pre className="code-block">{JSON.stringify(p.items, null, 2)}</pre>
      </details>
    </div>
  );
}

/** The job's ledger entries, and a check of the whole chain. */
export function Ledger({ jobId }: { jobId: string }) {
  const ledger = useJobLedger(jobId);
  const [check, setCheck] = useState<{ ok: boolean; checked: number; treeSize: number; reason?: string | null } | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const runCheck = async () => {
    setChecking(true);
    setCheckError(null);
    try {
      setCheck(await verifyLedger());
    } catch (error) {
      setCheckError(error);
    } finally {
      setChecking(false);
    }
  };
  if (ledger.isPending) return <Loading />;
  if (ledger.error) return <ErrorMessage error={ledger.error} />;
  return (
    <div className="stack">
      <div className="row">
        <button type="button" className="btn" onClick={runCheck} disabled={checking}>
          {checking ? 'Checking…' : 'Verify ledger'}
        </button>
        {check ? (
          <span role="status" className={`tag ${check.ok ? 'tag-ok' : 'tag-bad'}`}>
            {check.ok
              ? `Ledger intact (${check.checked} entries, signed tree of ${check.treeSize})`
              : `Broken: ${check.reason ?? 'a hash does not match'}`}
          </span>
        ) : null}
      </div>
      <ErrorMessage error={checkError} title="Could not verify the ledger" />
      {ledger.data.length ? (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Ledger entries">
          <table className="ledger">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Kind</th>
                <th scope="col">Actor</th>
                <th scope="col">Summary</th>
                <th scope="col">Leaf</th>
              </tr>
            </thead>
            <tbody>
              {ledger.data.map((entry) => (
                <tr key={entry.seq}>
                  <td data-label="#">{entry.seq}</td>
                  <td data-label="Kind">
                    <code>{entry.kind}</code>
                  </td>
                  <td data-label="Actor">{entry.actor}</td>
                  <td data-label="Summary">{entry.summary}</td>
                  <td data-label="Leaf">
                    <code className="hash" title={entry.hash ? `chained before the Merkle log: ${entry.hash}` : undefined}>
                      {entry.leafIndex ?? 'pending'}
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No entries yet.</p>
      )}
    </div>
  );
}
