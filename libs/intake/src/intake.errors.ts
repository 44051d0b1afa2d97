import { DomainException, ErrorKind } from '@app/common';

/** Error codes of intake: why a request did not become a job. */
export enum IntakeErrorCode {
  /** Neither the grammar nor the model could tell what to do (422, with a question and rephrasings). */
  UnparseableRequest = 'unparseable_request',
  /** The model's answer did not fit the intent schema, named an unknown operation or a path outside the repository (422). */
  ModelIntentInvalid = 'model_intent_invalid',
  /** The policy refuses what the request would do (403, with violations). */
  PolicyBlocked = 'policy_blocked',
  /** The model was needed to understand the request and did not answer (503, with Retry-After). */
  ModelUnavailable = 'model_unavailable',
}

/** The one exception class of intake. */
export class IntakeException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: IntakeErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = IntakeException.kindOf(code);
  }

  private static kindOf(code: IntakeErrorCode): ErrorKind {
    switch (code) {
      case IntakeErrorCode.UnparseableRequest:
      case IntakeErrorCode.ModelIntentInvalid:
        return 'unprocessable';
      case IntakeErrorCode.PolicyBlocked:
        return 'forbidden';
      case IntakeErrorCode.ModelUnavailable:
        return 'unavailable';
    }
  }
}
