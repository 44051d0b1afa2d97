import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse, ErrorStatus, errorResponseObject } from '@app/common';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The OpenAPI document of every route. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AI Coding Team')
    .setDescription('Coding tasks worked by a team of LLM agents under budgets, deterministic gates and a tamper-evident ledger.')
    .setVersion('0.1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'aict_…',
      description: 'An access token, or the session cookie aict_session from POST /api/auth/session',
    })
    .addSecurityRequirements('bearer')
    .build();
  return documentCommonErrors(documentValidation(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] })));
}

/**
 * What the global validation does that decorators do not say: every request body DTO refuses
 * unknown fields (forbidNonWhitelisted), and every `{id}` path parameter is a UUID (UuidParamPipe).
 */
function documentValidation(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method];
      if (!operation) continue;
      for (const parameter of operation.parameters ?? []) {
        if ('in' in parameter && parameter.in === 'path' && parameter.name === 'id') parameter.schema = { type: 'string', format: 'uuid' };
      }
      const body =
        operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content['application/json']?.schema : undefined;
      const name = body && '$ref' in body ? body.$ref.replace('#/components/schemas/', '') : undefined;
      const schema = name ? schemas[name] : undefined;
      if (schema && !('$ref' in schema)) schema.additionalProperties = false;
    }
  }
  return document;
}

/**
 * Adds the error answers every route of a kind has, so the document lists each status a client
 * can get: 400 for anything that takes input, 413/415 for bodies, 401/403 unless the route is
 * public, 429 unless it is exempt from rate limits. Route-specific ones come from `@ApiErrors`.
 */
function documentCommonErrors(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method];
      if (!operation) continue;
      const statuses: ErrorStatus[] = [];
      if ((operation.parameters?.length ?? 0) > 0 || operation.requestBody) statuses.push(400);
      if (operation.requestBody) statuses.push(413, 415);
      const isPublic = operation.security?.length === 1 && Object.keys(operation.security[0]).length === 0;
      if (!isPublic) statuses.push(401, 403);
      if ((operation as { 'x-rate-limit'?: string })['x-rate-limit'] !== 'none') statuses.push(429);
      for (const status of statuses) operation.responses[status] ??= errorResponseObject(status);
      operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  return document;
}

/** Serves the document at /api/openapi.json and the Swagger UI at /api/docs. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
  });
}
