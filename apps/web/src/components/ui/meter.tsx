/**
 * A labelled bar. `budget`: used of cap, warning past 80%, red at the cap. `score`: a 0..cap score
 * where more is better, warning below 60%.
 */
export function Meter({
  label,
  used,
  cap,
  format = String,
  kind = 'budget',
}: {
  label: string;
  used: number;
  cap: number;
  format?: (n: number) => string;
  kind?: 'budget' | 'score';
}) {
  const ratio = cap > 0 ? Math.min(1, used / cap) : 0;
  const level =
    kind === 'score' ? (ratio >= 0.8 ? 'good' : ratio >= 0.6 ? 'warn' : 'over') : ratio >= 1 ? 'over' : ratio >= 0.8 ? 'warn' : 'ok';
  return (
    <div className="meter">
      <div className="meter-head">
        <span>{label}</span>
        <span className="muted">{kind === 'score' ? format(used) : `${format(used)} / ${format(cap)}`}</span>
      </div>
      <div
        className={`meter-bar meter-${level}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={cap}
        aria-valuenow={used}
        aria-valuetext={`${format(used)} of ${format(cap)}`}
      >
        <span style={{ width: `${ratio * 100}%` }} />
      </div>
    </div>
  );
}
