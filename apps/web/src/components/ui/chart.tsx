export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

const W = 600;
const H = 180;
const PAD = { top: 10, right: 10, bottom: 24, left: 44 };

/** A small dependency-free SVG line chart; x is the bucket index, labelled with `labels`. */
export function LineChart({
  title,
  labels,
  series,
  format = (n: number) => String(n),
}: {
  title: string;
  labels: string[];
  series: Series[];
  format?: (n: number) => string;
}) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const peak = all.length ? Math.max(...all) : 0;
  const max = peak > 0 ? peak : 1;
  const n = Math.max(1, labels.length - 1);
  const x = (i: number) => PAD.left + (i / n) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const ticks = [0, max / 2, max];
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {labels.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${title}: ${series.map((s) => `${s.label} latest ${format(s.values.at(-1) ?? 0)}`).join(', ')}`}
        >
          {ticks.map((t) => (
            <g key={t}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
              <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="axis">
                {format(t)}
              </text>
            </g>
          ))}
          {[0, Math.floor(labels.length / 2), labels.length - 1]
            .filter((v, i, a) => a.indexOf(v) === i)
            .map((i) => (
              <text key={i} x={x(i)} y={H - 6} textAnchor="middle" className="axis">
                {labels[i]}
              </text>
            ))}
          {series.map((s) => {
            const points = s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
            return (
              <g key={s.label}>
                <polyline points={points.join(' ')} fill="none" stroke={s.color} strokeWidth={2} />
                {s.values.map((v, i) => (v === null ? null : <circle key={i} cx={x(i)} cy={y(v)} r={2.5} fill={s.color} />))}
              </g>
            );
          })}
        </svg>
      )}
      <ul className="legend">
        {series.map((s) => (
          <li key={s.label}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Horizontal bars for a few labelled counts. */
export function BarList({ title, items }: { title: string; items: { label: string; value: number; className?: string }[] }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ul className="bars">
        {items.map((item) => (
          <li key={item.label}>
            <span className="bar-label">{item.label}</span>
            <span className="bar-track">
              <span className={`bar-fill ${item.className ?? ''}`} style={{ width: `${(item.value / max) * 100}%` }} />
            </span>
            <span className="bar-value">{item.value}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
