import { AgentCheckpoint, Allowance } from '@app/agents';
import { EscalationTrigger } from '@app/jobs';

/** The stages the pipeline runs (intake happened before the job was queued). */
export type Stage = 'plan' | 'build' | 'review' | 'quality' | 'render' | 'seal';

/** The pipeline's own state, kept in every checkpoint. */
export interface PipelineState {
  stage: Stage;
  round: number;
  analysis?: Record<string, unknown>;
  plan?: Record<string, unknown>;
  reviews: Record<string, unknown>[];
  builderSummary?: string;
  /** What the job is parked on: a pipeline gate (`quality` BLOCK, `review` rounds exhausted) or an `escalation`. */
  pendingGate?: 'quality' | 'review' | 'escalation';
  /** The escalation a parked job waits on. */
  escalation?: EscalationTrigger;
  approved: { quality?: boolean; review?: boolean };
  quality?: Record<string, unknown>;
  answer?: { text: string; citations: string[]; templateId?: string; evidence?: Record<string, string> };
  /** What the current stage's role may use, and the job caps it was worked out from (raised caps give it more). */
  allowance?: { stage: Stage; round: number; steps: number; tokens: number; caps: Allowance };
}

export type PipelineCheckpoint = AgentCheckpoint & { pipeline: PipelineState };
