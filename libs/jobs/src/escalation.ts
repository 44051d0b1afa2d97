import { AppConfig, JobCaps, JobMode } from '@app/common';

/** The cap each "cap reached" error code stops a job at. */
export const CAP_OF_CODE: Readonly<Record<string, keyof JobCaps>> = {
  step_limit: 'maxSteps',
  token_limit: 'maxTokens',
  cost_limit: 'maxCostCents',
  time_limit: 'maxWallMs',
};

const CAP_KEYS: readonly (keyof JobCaps)[] = ['maxSteps', 'maxTokens', 'maxCostCents', 'maxWallMs'];

/** How each cap is named to a person. */
export const CAP_NAMES: Readonly<Record<keyof JobCaps, { unit: string; what: string }>> = {
  maxSteps: { unit: 'steps', what: 'tool calls' },
  maxTokens: { unit: 'tokens', what: 'tokens' },
  maxCostCents: { unit: 'cents', what: 'cost' },
  maxWallMs: { unit: 'ms', what: 'wall time' },
};

/** Why a job escalates. */
export interface EscalationTrigger {
  /** `cap`: a cap stopped it (the job's, or a role's share of it); `review`: the Reviewer sent the Builder back a second time. */
  kind: 'cap' | 'review';
  /** The code the cap stopped it with (`step_limit`…). */
  code?: string;
  /** The cap it reached. */
  cap?: keyof JobCaps;
  /** The role whose share of the cap it was, when it was a share. */
  role?: string;
  /** What happened, in a sentence. */
  message: string;
}

/** What a job can escalate to from where it stands. */
export interface EscalationOptions {
  /** Genius mode with these caps (its own, raised to genius mode's defaults within the server maxima); null when that gives it no more room. */
  genius: { mode: 'genius'; caps: JobCaps } | null;
  /** A higher value of the cap it reached: the suggestion and the most it may be; null when it is at the server maximum, or no cap was reached. */
  raise: { cap: keyof JobCaps; current: number; suggested: number; max: number } | null;
}

/** The caps of a job row. */
export function capsOf(job: JobCaps): JobCaps {
  return { maxSteps: job.maxSteps, maxTokens: job.maxTokens, maxCostCents: job.maxCostCents, maxWallMs: job.maxWallMs };
}

/** A job's caps in genius mode: never lower than its own, at least genius mode's defaults, never above the server maxima. */
export function geniusCaps(caps: JobCaps, config: AppConfig): JobCaps {
  const genius = config.jobs.modeCaps.genius;
  const max = config.jobs.maxCaps;
  return Object.fromEntries(CAP_KEYS.map((k) => [k, Math.max(caps[k], Math.min(genius[k], max[k]))])) as unknown as JobCaps;
}

/** Twice the cap (rounded to a readable figure), within the server maximum. */
function suggestedRaise(cap: keyof JobCaps, current: number, max: number): number {
  const step = cap === 'maxTokens' ? 10_000 : cap === 'maxWallMs' ? 60_000 : 1;
  const doubled = Math.ceil((current * 2) / step) * step;
  return Math.min(max, Math.max(current + 1, doubled));
}

/**
 * What a job may escalate to. Genius mode is offered to a mechanic job when it gives more room at
 * the cap it reached (or, for a review, always); a higher cap when that cap is below the server
 * maximum.
 */
export function escalationOptions(job: { mode: JobMode } & JobCaps, trigger: EscalationTrigger, config: AppConfig): EscalationOptions {
  const caps = capsOf(job);
  const genius = geniusCaps(caps, config);
  const roomInGenius = trigger.kind === 'review' || (trigger.cap !== undefined && genius[trigger.cap] > caps[trigger.cap]);
  const max = trigger.cap ? config.jobs.maxCaps[trigger.cap] : 0;
  return {
    genius: job.mode === 'mechanic' && roomInGenius ? { mode: 'genius', caps: genius } : null,
    raise:
      trigger.kind === 'cap' && trigger.cap && caps[trigger.cap] < max
        ? { cap: trigger.cap, current: caps[trigger.cap], suggested: suggestedRaise(trigger.cap, caps[trigger.cap], max), max }
        : null,
  };
}

/** A cap as a person reads it: "60 steps", "400000 tokens", "100 cents", "15 min". */
export function describeCap(cap: keyof JobCaps, value: number): string {
  if (cap === 'maxWallMs') return value % 60_000 === 0 ? `${value / 60_000} min` : `${Math.round(value / 1000)} s`;
  return `${value} ${CAP_NAMES[cap].unit}`;
}

/** The caps that differ between two sets, as `{cap: [from, to]}`. */
export function capChanges(from: JobCaps, to: JobCaps): Partial<Record<keyof JobCaps, [number, number]>> {
  return Object.fromEntries(CAP_KEYS.filter((k) => from[k] !== to[k]).map((k) => [k, [from[k], to[k]]]));
}

/** The cap names a request may raise. */
export const CAP_FIELDS = CAP_KEYS;
