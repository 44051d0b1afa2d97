import type { Schemas } from '@/lib/api/client';

export type JobView = Schemas['JobView'];
export type JobStatus = Schemas['JobStatus'];
export type JobMode = Schemas['JobMode'];
export type EventView = Schemas['EventView'];
export type CreateJobRequest = Schemas['CreateJobRequest'];
export type ParsePreview = Schemas['ParsePreviewView'];
export type IntentView = Schemas['IntentView'];
export type IntentSourceView = Schemas['IntentSourceView'];
export type AbstainView = Schemas['AbstainView'];
export type PolicyViolationView = Schemas['PolicyViolationView'];
export type TruthPackView = Schemas['TruthPackView'];
export type TruthPackVerificationView = Schemas['TruthPackVerificationView'];
export type TruthPackStatementView = Schemas['TruthPackStatementView'];
export type EvaluationView = Schemas['EvaluationView'];
export type LedgerEntryView = Schemas['LedgerEntryView'];
export type RespondAction = Schemas['RespondAction'];
export type JobCaps = Schemas['JobCapsView'];
/** The question a waiting job asks (JobView.pendingQuestion), with the actions it takes. */
export type PendingQuestion = Schemas['PendingQuestionView'];
/** The last response a person gave a job: what, who, how (JobView.lastResponse). */
export type JobResponse = Schemas['JobResponseView'];

export const JOB_STATUSES: JobStatus[] = ['queued', 'running', 'waiting_human', 'cancelling', 'succeeded', 'failed', 'aborted'];
export const JOB_MODES: JobMode[] = ['mechanic', 'genius'];
export const FINISHED: JobStatus[] = ['succeeded', 'failed', 'aborted'];
