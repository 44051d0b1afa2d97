import { Loading } from '@/components/ui/feedback';
import { percent } from '@/lib/format';
import type { AbstainView, ParsePreview, PolicyViolationView } from '../api/types';
import { IntentSourceLine } from './intent-source';

/** What a refusal's details carry (the error envelope's `details`): the abstention's fields, or the violations. */
type RefusalDetails = Partial<Omit<AbstainView, 'reason'>> & {
  reason?: AbstainView['reason'] | 'dangerous' | 'policy';
  violations?: PolicyViolationView[];
};

/** How a goal would be understood and judged: the intent, its source and the policy verdict; the refusal; or the question it needs. */
export function GoalPreview({
  preview,
  loading,
  onSuggestion,
  onAskModel,
  hasRepo = true,
}: {
  preview: ParsePreview | undefined;
  loading: boolean;
  onSuggestion: (text: string) => void;
  onAskModel?: () => void;
  /** Without a repository, rephrasings cannot name its real files: the form asks for it instead of showing stock examples. */
  hasRepo?: boolean;
}) {
  if (loading) return <Loading label="Checking…" />;
  if (!preview) return <p className="muted">Type a goal to see how it is understood.</p>;
  const { intent, refusal, policy } = preview;
  const details = (refusal?.details ?? {}) as RefusalDetails;
  const abstain = preview.abstain ?? details;
  if (refusal?.code === 'policy_blocked') {
    const violations = details.violations ?? policy?.violations ?? [];
    return (
      <div className="preview preview-refused" role="status" aria-live="polite">
        <p>
          <strong>Refused</strong> <span className="tag tag-bad">{details.reason === 'dangerous' ? 'dangerous' : 'policy'}</span>
        </p>
        <ul className="violations">
          {violations.map((v, i) => (
            <li key={i}>{v.message || v.ruleId}</li>
          ))}
        </ul>
      </div>
    );
  }
  if (!preview.ok || !intent) {
    const clarification =
      refusal?.code === 'model_unavailable'
        ? refusal.message
        : (abstain?.clarification ?? refusal?.message ?? 'The request could not be understood.');
    return (
      <div className="preview preview-abstain" role="status" aria-live="polite">
        <p>
          <strong>Needs clarification</strong> {abstain?.reason ? <span className="tag">{abstain.reason.replace(/_/g, ' ')}</span> : null}
          {abstain?.missing ? <span className="tag">missing: {abstain.missing}</span> : null}{' '}
          {preview.source === 'model' ? <span className="tag tag-warn">asked the model</span> : null}
        </p>
        <p>{clarification}</p>
        {preview.modelAvailable && preview.source === 'grammar' && refusal?.code === 'unparseable_request' && onAskModel ? (
          <p>
            <button type="button" className="btn btn-small" onClick={onAskModel}>
              Ask the model how it reads this
            </button>{' '}
            <span className="muted">(a metered call)</span>
          </p>
        ) : null}
        {abstain?.suggestions?.length && !hasRepo ? (
          <p className="muted">Name the repository to see rephrasings that use its own files.</p>
        ) : abstain?.suggestions?.length ? (
          <div className="stack">
            <span className="muted">Try one of these:</span>
            <ul className="suggestions">
              {abstain.suggestions.map((s) => (
                <li key={s}>
                  <button type="button" className="btn btn-small btn-link" onClick={() => onSuggestion(s)}>
                    {s}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    );
  }
  return (
    <div className="preview preview-ok" role="status" aria-live="polite">
      <dl className="facts">
        <dt>Understood as</dt>
        <dd>
          <strong className="intent-op">{intent.operation}</strong>{' '}
          {intent.readOnly ? <span className="tag">read-only</span> : <span className="tag tag-warn">writes code</span>}
        </dd>
        {intent.targets?.length ? (
          <>
            <dt>Targets</dt>
            <dd>
              {intent.targets.map((t) => (
                <code key={t}>{t}</code>
              ))}
            </dd>
          </>
        ) : null}
        <dt>Mode</dt>
        <dd>{intent.mode}</dd>
        <dt>Confidence</dt>
        <dd>{percent(intent.confidence)}</dd>
        <dt>Read by</dt>
        <dd>
          <IntentSourceLine source={intent.source} />
        </dd>
        {intent.constraints?.length ? (
          <>
            <dt>Constraints</dt>
            <dd>{intent.constraints.map((c) => c.text).join('; ')}</dd>
          </>
        ) : null}
        {policy ? (
          <>
            <dt>Policy</dt>
            <dd>
              <span className={`tag tag-${policy.verdict === 'allow' ? 'ok' : 'warn'}`}>{policy.verdict}</span>{' '}
              {policy.riskLevel ? `risk ${policy.riskLevel}` : null}
            </dd>
          </>
        ) : null}
      </dl>
      {policy?.violations?.length ? (
        <ul className="violations">
          {policy.violations.map((v, i) => (
            <li key={i}>{v.message || v.ruleId}</li>
          ))}
        </ul>
      ) : null}
      {intent.span ? (
        <details>
          <summary>LogLine</summary>
          <pre className="code-block">{intent.span}</pre>
        </details>
      ) : null}
    </div>
  );
}
