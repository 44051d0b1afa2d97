import { DomainException, ErrorKind } from '@app/common';

/** Error codes of the TDLN engine facade. */
export enum TdlnErrorCode {
  AddonMissing = 'tdln_addon_missing',
  EngineError = 'tdln_engine_error',
  InvalidInput = 'tdln_invalid_input',
  InvalidStages = 'tdln_invalid_stages',
  /** A template could not be rendered with the data it was given (a missing field): a bug of the caller. */
  TemplateFailed = 'tdln_template_failed',
}

/** The one exception class of the TDLN lib. */
export class TdlnException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: TdlnErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = TdlnException.kindOf(code);
  }

  private static kindOf(code: TdlnErrorCode): ErrorKind {
    switch (code) {
      case TdlnErrorCode.InvalidInput:
        return 'validation';
      case TdlnErrorCode.AddonMissing:
      case TdlnErrorCode.EngineError:
      case TdlnErrorCode.InvalidStages:
      case TdlnErrorCode.TemplateFailed:
        return 'internal';
    }
  }
}
