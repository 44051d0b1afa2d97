import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { isDatabaseUnavailable } from '../database/connection-errors';
import { CommonErrorCode, DomainException, httpStatusOf } from '../errors/domain.exception';
import { LOGGER } from '../logging/logging.module';

/** The one error envelope of the API. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; correlationId: string };
}

/**
 * Renders every error as the API's envelope with the request's correlation id. Domain exceptions
 * map through their kind; framework errors keep their status; a lost database connection is a 503
 * `database_unavailable` with Retry-After; anything else is a 500 whose details stay in the log,
 * never in the response.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const correlationId = String(request?.id ?? randomUUID());
    const { status, body, headers } = this.render(exception, correlationId);
    if (status === 503) {
      this.logger.warn({ err: exception, correlationId, url: request?.url }, 'request refused: a dependency is unavailable');
    } else if (status >= 500) {
      this.logger.error({ err: exception, correlationId, url: request?.url }, 'request failed');
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    void reply.status(status).header('x-correlation-id', correlationId).send(body);
  }

  private render(exception: unknown, correlationId: string): { status: number; body: ErrorEnvelope; headers: Record<string, string> } {
    const envelope = (code: string, message: string, details?: unknown): ErrorEnvelope => ({
      error: details === undefined ? { code, message, correlationId } : { code, message, details, correlationId },
    });
    if (exception instanceof DomainException) {
      const headers: Record<string, string> = {};
      const retryAfter = (exception.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if ((exception.kind === 'rate_limited' || exception.kind === 'unavailable') && retryAfter)
        headers['retry-after'] = String(retryAfter);
      return { status: httpStatusOf(exception.kind), body: envelope(exception.code, exception.message, exception.details), headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { status, body: envelope(codeForStatus(status), status >= 500 ? 'Internal error' : exception.message), headers: {} };
    }
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return {
        status: fastifyError.statusCode,
        body: envelope(codeForStatus(fastifyError.statusCode), fastifyError.message ?? 'Bad request'),
        headers: {},
      };
    }
    if (isDatabaseUnavailable(exception)) {
      // PostgreSQL restarting or unreachable: the client may retry; the pool reconnects by itself.
      return {
        status: 503,
        body: envelope(CommonErrorCode.DatabaseUnavailable, 'The database is unavailable; retry shortly'),
        headers: { 'retry-after': '1' },
      };
    }
    return {
      status: 500,
      body: envelope('internal_error', `Internal error; quote correlation id ${correlationId} when reporting it`),
      headers: {},
    };
  }
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}
