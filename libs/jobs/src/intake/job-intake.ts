import { Injectable } from '@nestjs/common';
import { JobMode } from '@app/common';

/** DI token of the intake seam that understands and checks a request before it is queued. */
export const JOB_INTAKE = Symbol('JOB_INTAKE');

/** What intake is given. */
export interface IntakeRequest {
  goal: string;
  repo: string;
  baseRef?: string;
  mode?: JobMode;
  source: string;
}

/** What intake decides: the mode, and what it understood (stored on the job and in the ledger). */
export interface IntakeResult {
  mode: JobMode;
  intent?: Record<string, unknown> | null;
  intentLogline?: string | null;
  /** Ledger entries to append with the job's creation (parse proof, policy decision...). */
  records?: { kind: string; summary: string; data: Record<string, unknown> }[];
  /** Events of the job's creation (the intake model call). */
  events?: { type: string; role?: string; summary: string; data: Record<string, unknown> }[];
  /** What understanding the request cost, charged to the job from its start. */
  usage?: { tokens: number; costCents: number };
}

/**
 * Parses and policy-checks a request. Throws a domain exception (422 unparseable, 403 blocked,
 * 503 when a model it needs is unavailable) to refuse it.
 */
export interface JobIntake {
  understand(request: IntakeRequest): Promise<IntakeResult>;
}

/** Intake before the TDLN engine is wired: the goal is taken as given, mode defaults to mechanic. */
@Injectable()
export class PassThroughIntake implements JobIntake {
  async understand(request: IntakeRequest): Promise<IntakeResult> {
    return { mode: request.mode ?? 'mechanic', intent: null, intentLogline: null };
  }
}
