import { errorKinds } from '@app/common';

/** Error codes of the TDLN engine facade. */
export enum TdlnErrorCode {
  AddonMissing = 'tdln_addon_missing',
  EngineError = 'tdln_engine_error',
  InvalidInput = 'tdln_invalid_input',
  InvalidStages = 'tdln_invalid_stages',
  /** A template could not be rendered with the data it was given (a missing field): a bug of the caller. */
  TemplateFailed = 'tdln_template_failed',
}

/** How the API treats each tdln error code (HTTP status by kind, mapped once in the global filter). */
export const TDLN_ERROR_KINDS = errorKinds<TdlnErrorCode>({
  [TdlnErrorCode.InvalidInput]: 'validation',
  [TdlnErrorCode.AddonMissing]: 'internal',
  [TdlnErrorCode.EngineError]: 'internal',
  [TdlnErrorCode.InvalidStages]: 'internal',
  [TdlnErrorCode.TemplateFailed]: 'internal',
});
