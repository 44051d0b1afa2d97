import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Logger } from 'pino';
import { AppConfig, HttpExceptionFilter, PinoNestLogger, createValidationPipe, requestContext } from '@app/common';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi';

const CORRELATION_ID = /^[\w.:-]{1,100}$/;

/** Builds the Nest application on Fastify with the global validation, errors, logging and OpenAPI. */
export async function createApp(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    logger: false,
    bodyLimit: 1_048_576,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-correlation-id', request.id);
    requestContext.run({ correlationId: String(request.id) }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info({ correlationId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(logger));
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
