import { DomainException, ErrorKind } from '@app/common';

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

/** The one exception class of the jobs domain. */
export class JobsException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: JobsErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = JobsException.kindOf(code);
  }

  private static kindOf(code: JobsErrorCode): ErrorKind {
    switch (code) {
      case JobsErrorCode.JobNotFound:
        return 'not_found';
      case JobsErrorCode.InvalidTransition:
      case JobsErrorCode.NotWaiting:
        return 'conflict';
      case JobsErrorCode.CapAboveMaximum:
      case JobsErrorCode.CapNotRaised:
      case JobsErrorCode.InvalidResponse:
      case JobsErrorCode.ConversationNotFound:
      case JobsErrorCode.ParentNotFound:
      case JobsErrorCode.RoleNotHandled:
        return 'validation';
      case JobsErrorCode.UnparseableRequest:
        return 'unprocessable';
      case JobsErrorCode.PolicyBlocked:
      case JobsErrorCode.RoleRequiresAdmin:
        return 'forbidden';
    }
  }
}
