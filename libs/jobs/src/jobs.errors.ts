import { errorKinds } from '@app/common';

/** Error codes of the jobs domain. */
export enum JobsErrorCode {
  JobNotFound = 'job_not_found',
  InvalidTransition = 'invalid_transition',
  NotWaiting = 'job_not_waiting',
  InvalidResponse = 'invalid_response',
  CapAboveMaximum = 'cap_above_maximum',
  /** An escalation or retry that should give a job more room does not raise the cap it stopped at (or lowers one). */
  CapNotRaised = 'cap_not_raised',
  UnparseableRequest = 'unparseable_request',
  PolicyBlocked = 'policy_blocked',
  ConversationNotFound = 'conversation_not_found',
  ParentNotFound = 'parent_job_not_found',
  RoleNotHandled = 'role_not_handled',
  RoleRequiresAdmin = 'role_requires_admin',
}

/** How the API treats each jobs error code (HTTP status by kind, mapped once in the global filter). */
export const JOBS_ERROR_KINDS = errorKinds<JobsErrorCode>({
  [JobsErrorCode.JobNotFound]: 'not_found',
  [JobsErrorCode.InvalidTransition]: 'conflict',
  [JobsErrorCode.NotWaiting]: 'conflict',
  [JobsErrorCode.CapAboveMaximum]: 'validation',
  [JobsErrorCode.CapNotRaised]: 'validation',
  [JobsErrorCode.InvalidResponse]: 'validation',
  [JobsErrorCode.ConversationNotFound]: 'validation',
  [JobsErrorCode.ParentNotFound]: 'validation',
  [JobsErrorCode.RoleNotHandled]: 'validation',
  [JobsErrorCode.UnparseableRequest]: 'unprocessable',
  [JobsErrorCode.PolicyBlocked]: 'forbidden',
  [JobsErrorCode.RoleRequiresAdmin]: 'forbidden',
});
