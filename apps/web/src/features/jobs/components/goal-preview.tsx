import { Loading } from '@/components/ui/feedback';
import { percent } from '@/lib/format';
import type { ParsePreview } from '../api/types';

interface Intent {
  operation?: string;
  targets?: string[];
  mode?: string;
  readOnly?: boolean;
  confidence?: number;
  span?: string;
  constraints?: { id: string; text: string }[];
  slots?: Record<string, string>;
}
interface Abstain {
  reason?: string;
  clarification?: string;
  suggestions?: string[];
}
interface Policy {
  verdict?: string;
  riskLevel?: string;
  riskScore?: number;
  violations?: ({ code?: string; message?: string } | string)[];
  remediation?: string[] | string;
}

/** How the TDLN engine understood the goal: the intent and policy verdict, or the clarification it needs. */
export function GoalPreview({ preview, loading, onSuggestion }: { preview: ParsePreview | undefined; loading: boolean; onSuggestion: (text: string) => void }) {
  if (loading && !preview) return <Loading label="Reading the goal…" />;
  if (!preview) return <p className="muted">Type a goal to see how it is understood.</p>;
  const intent = preview.intent as Intent | undefined;
  const abstain = preview.abstain as Abstain | undefined;
  const policy = preview.policy as Policy | undefined;
  if (!preview.ok || !intent) {
    return (
      <div className="preview preview-abstain" role="status" aria-live="polite">
        <p>
          <strong>Needs clarification</strong> {abstain?.reason ? <span className="tag">{abstain.reason.replace(/_/g, ' ')}</span> : null}
        </p>
        <p>{abstain?.clarification ?? 'The request could not be understood.'}</p>
        {abstain?.suggestions?.length ? (
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
          <strong className="intent-op">{intent.operation}</strong> {intent.readOnly ? <span className="tag">read-only</span> : <span className="tag tag-warn">writes code</span>}
        </dd>
        {intent.targets?.length ? (
          <>
            <dt>Targets</dt>
            <dd>{intent.targets.map((t) => <code key={t}>{t}</code>)}</dd>
          </>
        ) : null}
        <dt>Mode</dt>
        <dd>{intent.mode}</dd>
        <dt>Confidence</dt>
        <dd>{percent(intent.confidence)}</dd>
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
              <span className={`tag tag-${policy.verdict === 'allow' || policy.verdict === 'ALLOW' ? 'ok' : 'warn'}`}>{policy.verdict}</span> {policy.riskLevel ? `risk ${policy.riskLevel}` : null}
            </dd>
          </>
        ) : null}
      </dl>
      {policy?.violations?.length ? (
        <ul className="violations">
          {policy.violations.map((v, i) => (
            <li key={i}>{typeof v === 'string' ? v : (v.message ?? v.code)}</li>
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
