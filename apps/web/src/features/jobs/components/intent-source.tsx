import type { IntentSourceView } from '../api/types';

const short = (hash?: string) => (hash ? hash.slice(0, 12) : '—');

/** One line saying what read the request: the grammar (rule, grammar hash) or a model (name, request id, prompt hash). */
export function IntentSourceLine({ source }: { source?: IntentSourceView }) {
  if (!source?.kind) return <span className="muted">—</span>;
  if (source.kind === 'model') {
    return (
      <span className="intent-source">
        <span className="tag tag-warn">model</span> {source.model} · request <code>{source.requestId}</code> · prompt{' '}
        <code title={source.promptHash}>{short(source.promptHash)}</code>
      </span>
    );
  }
  return (
    <span className="intent-source">
      <span className="tag">grammar</span> rule <code>{source.ruleId}</code> · grammar {source.grammarVersion}{' '}
      <code title={source.grammarHash}>{short(source.grammarHash)}</code>
    </span>
  );
}
