import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** What went wrong, as every error answer of the API carries it. */
export class ErrorDetailView {
  @ApiProperty({ description: 'Stable code to branch on, e.g. validation_failed, job_not_found, invalid_transition' }) code: string;
  @ApiProperty({ description: 'For people' }) message: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Structured details, e.g. { problems: [{ field, problems }] } for a 400',
  })
  details?: Record<string, unknown>;
  @ApiProperty({ description: 'Also in the x-correlation-id header; quote it when reporting a problem' }) correlationId: string;
}

/** The error envelope: `{ "error": { code, message, details?, correlationId } }`. */
export class ErrorResponse {
  @ApiProperty({ type: ErrorDetailView }) error: ErrorDetailView;
}

/** HTTP statuses the API answers with the error envelope. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429;

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Invalid request: validation_failed (details.problems lists every problem), or repo_not_allowed (a repository outside REPO_ALLOW; details give the reason, what is allowed and how to allow it)',
  401: 'No valid access token (or webhook signature)',
  403: 'The token lacks the scope needed (insufficient_scope, role_requires_admin), or the policy forbids the request (policy_blocked)',
  404: 'Not found',
  409: 'Conflicts with the current state (a transition the state machine forbids, a replayed delivery)',
  413: 'The request body is larger than BODY_LIMIT_BYTES',
  415: 'The request body is not in a supported media type',
  422: 'The request could not be understood; details carry the clarifying question and suggestions',
  429: 'Too many requests (rate_limited), or too many failed authentications from this address (too_many_auth_failures); Retry-After says when to try again',
};

/** The OpenAPI response object of an error status: the envelope, always JSON. */
export function errorResponseObject(status: ErrorStatus): { description: string; content: Record<string, { schema: { $ref: string } }> } {
  return { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } } };
}

/** Documents the error statuses a route answers besides the ones every route of its kind has (see the OpenAPI builder). */
export function ApiErrors(...statuses: ErrorStatus[]) {
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...statuses.map((status) => ApiResponse({ status, ...errorResponseObject(status) })),
  );
}
