import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import helmet from '@fastify/helmet';
import { AppConfig, HttpExceptionFilter, PinoNestLogger, createValidationPipe, requestContext, secretRedactor } from '@app/common';
import { AppModule, AppOptions } from './app.module';
import { setupOpenApi } from './openapi';
import { serveWebApp } from './web-app';

const CORRELATION_ID = /^[\w.:-]{1,100}$/;
const URL_ERRORS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is malformed (bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

/** Builds the Nest application on Fastify with the global validation, errors, logging and OpenAPI. */
export async function createApp(config: AppConfig, logger: Logger, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    logger: false,
    bodyLimit: config.http.bodyLimitBytes,
    // Fastify takes a hop count too; the adapter's type omits it.
    trustProxy: config.http.trustProxy as boolean | string,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
    // Fastify answers these before routing, so Nest's filter never sees them: give them the envelope too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const correlationId = String(request.id);
      const message = URL_ERRORS[error.code];
      const body = message
        ? { code: 'bad_request', message, correlationId }
        : { code: 'internal_error', message: 'Internal error', correlationId };
      void reply
        .status(message ? 400 : 500)
        .header('x-correlation-id', correlationId)
        .send({ error: body });
    },
    // Requests Node's parser refuses (control characters in a header, headers over 16 KiB) get the envelope too.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, code, message] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout', 'The request took too long to arrive']
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'headers_too_large', 'The request line and headers are larger than 16 KiB']
            : [400, 'bad_request', 'The request is not valid HTTP'];
      const correlationId = randomUUID();
      const body = JSON.stringify({ error: { code, message, correlationId } });
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nx-correlation-id: ${correlationId}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, options), adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    // Webhook signatures are over the exact bytes received.
    rawBody: true,
  });
  // JSON bodies as Fastify parses them (prototype poisoning refused), except that an empty body
  // with a JSON content type — what many clients send to an action endpoint — is no body at all.
  const defaultJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser(
    'application/json',
    { bodyLimit: config.http.bodyLimitBytes },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      if (body.length === 0) return done(null, undefined);
      defaultJson(request, body.toString('utf8'), done);
    },
  );
  secretRedactor.register(
    config.auth.bootstrapToken,
    config.model.anthropic.apiKey,
    config.model.openai.apiKey,
    config.webhooks.githubSecret,
    config.webhooks.genericSecret,
  );
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The Swagger UI page carries inline <style> blocks.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: true,
      allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'x-correlation-id', 'x-requested-with'],
      exposedHeaders: ['x-correlation-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    });
  }
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-correlation-id', request.id);
    requestContext.run({ correlationId: String(request.id) }, done);
  });
  // Known secrets never leave in a response body, whatever put them there.
  fastify.addHook('onSend', (_request, _reply, payload, done) => {
    done(null, typeof payload === 'string' ? secretRedactor.redactKnown(payload) : payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info(
      { correlationId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    done();
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(logger));
  app.enableShutdownHooks();
  setupOpenApi(app);
  await serveWebApp(app, logger);
  return app;
}
