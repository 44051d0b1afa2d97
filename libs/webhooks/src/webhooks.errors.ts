import { errorKinds } from '@app/common';

/** Error codes of webhook intake. */
export enum WebhooksErrorCode {
  NotConfigured = 'webhook_not_configured',
  BadSignature = 'webhook_bad_signature',
  StaleTimestamp = 'webhook_stale_timestamp',
  Replayed = 'webhook_replayed',
  InvalidPayload = 'webhook_invalid_payload',
}

/** How the API treats each webhooks error code (HTTP status by kind, mapped once in the global filter). */
export const WEBHOOKS_ERROR_KINDS = errorKinds<WebhooksErrorCode>({
  [WebhooksErrorCode.NotConfigured]: 'not_found',
  [WebhooksErrorCode.BadSignature]: 'unauthorized',
  [WebhooksErrorCode.StaleTimestamp]: 'unauthorized',
  [WebhooksErrorCode.Replayed]: 'conflict',
  [WebhooksErrorCode.InvalidPayload]: 'validation',
});
