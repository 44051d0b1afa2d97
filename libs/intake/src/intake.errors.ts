import { errorKinds } from '@app/common';

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

/** How the API treats each intake error code (HTTP status by kind, mapped once in the global filter). */
export const INTAKE_ERROR_KINDS = errorKinds<IntakeErrorCode>({
  [IntakeErrorCode.UnparseableRequest]: 'unprocessable',
  [IntakeErrorCode.ModelIntentInvalid]: 'unprocessable',
  [IntakeErrorCode.PolicyBlocked]: 'forbidden',
  [IntakeErrorCode.ModelUnavailable]: 'unavailable',
});
