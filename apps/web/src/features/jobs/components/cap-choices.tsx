import { type FormEvent, useId, useState } from 'react';
import type { JobCaps } from '../api/types';

export type CapName = keyof JobCaps;

/** The cap each "cap reached" error code stops a job at (as the server names them). */
export const CAP_OF_CODE: Readonly<Record<string, CapName>> = {
  step_limit: 'maxSteps',
  token_limit: 'maxTokens',
  cost_limit: 'maxCostCents',
  time_limit: 'maxWallMs',
};

/** How a cap is named and entered: wall time in minutes, the others in their own unit. */
const CAPS: Record<CapName, { what: string; unit: string; scale: number }> = {
  maxSteps: { what: 'tool calls', unit: 'steps', scale: 1 },
  maxTokens: { what: 'tokens', unit: 'tokens', scale: 1 },
  maxCostCents: { what: 'cost', unit: 'cents', scale: 1 },
  maxWallMs: { what: 'wall time', unit: 'min', scale: 60_000 },
};

/** "120 steps", "800000 tokens", "30 min". */
export function describeCap(cap: CapName, value: number): string {
  const { unit, scale } = CAPS[cap];
  return `${Math.round((value / scale) * 10) / 10} ${unit}`;
}

/** Twice the cap, as the server suggests it (whole minutes for wall time, tens of thousands of tokens). */
export function doubled(cap: CapName, current: number): number {
  const step = cap === 'maxTokens' ? 10_000 : cap === 'maxWallMs' ? 60_000 : 1;
  return Math.max(current + 1, Math.ceil((current * 2) / step) * step);
}

/**
 * A higher value for the cap a job stopped at: a number field in the cap's unit, filled with the
 * suggestion, and a button that sends it.
 */
export function RaiseCapForm({
  cap,
  current,
  suggested,
  max,
  label,
  disabled,
  onRaise,
}: {
  cap: CapName;
  current: number;
  suggested: number;
  max?: number;
  label: string;
  disabled: boolean;
  onRaise: (caps: Partial<JobCaps>) => void;
}) {
  const { what, unit, scale } = CAPS[cap];
  const [value, setValue] = useState(String(suggested / scale));
  const id = useId();
  const raised = Math.round(Number(value) * scale);
  const valid = Number.isFinite(raised) && raised > current && (max === undefined || raised <= max);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) onRaise({ [cap]: raised });
  };
  return (
    <form onSubmit={submit} className="row">
      <label htmlFor={`${id}-cap`}>
        Raise the {what} cap ({describeCap(cap, current)}) to
      </label>
      <input
        id={`${id}-cap`}
        type="number"
        min={(current + 1) / scale}
        max={max !== undefined ? max / scale : undefined}
        step="any"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        required
      />
      <span className="muted">{unit}</span>
      <button type="submit" className="btn" disabled={disabled || !valid}>
        {label}
      </button>
    </form>
  );
}
