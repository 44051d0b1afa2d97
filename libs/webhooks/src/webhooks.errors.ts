import { DomainException, ErrorKind } from '@app/common';

/** Error codes of webhook intake. */
export enum WebhooksErrorCode {
  NotConfigured = 'webhook_not_configured',
  BadSignature = 'webhook_bad_signature',
  StaleTimestamp = 'webhook_stale_timestamp',
  Replayed = 'webhook_replayed',
  InvalidPayload = 'webhook_invalid_payload',
}

/** The one exception class of webhook intake. */
export class WebhooksException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: WebhooksErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = WebhooksException.kindOf(code);
  }

  private static kindOf(code: WebhooksErrorCode): ErrorKind {
    switch (code) {
      case WebhooksErrorCode.NotConfigured:
        return 'not_found';
      case WebhooksErrorCode.BadSignature:
      case WebhooksErrorCode.StaleTimestamp:
        return 'unauthorized';
      case WebhooksErrorCode.Replayed:
        return 'conflict';
      case WebhooksErrorCode.InvalidPayload:
        return 'validation';
    }
  }
}
