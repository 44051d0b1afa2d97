import { Controller, Headers, HttpCode, Inject, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, APP_CONFIG, AppConfig, createValidationPipe, DomainException, Public, RateLimited } from '@app/common';
import { GenericWebhookRequest, WebhookResultView } from './dto/webhooks.dto';
import { GithubIssuePayload, WebhookIntakeService } from './webhook-intake.service';
import { signatureMatches } from './webhook-signature';
import { WebhooksErrorCode } from './webhooks.errors';

type RawRequest = RawBodyRequest<FastifyRequest>;

/** Webhook intake: authenticated by HMAC signature over the raw body, not by bearer token. */
@ApiTags('webhooks')
@Public()
@RateLimited('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  private readonly validation = createValidationPipe();

  constructor(
    private readonly intake: WebhookIntakeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('github')
  @HttpCode(202)
  @ApiErrors(400, 401, 403, 404, 409, 422)
  @ApiOperation({
    operationId: 'githubWebhook',
    summary: 'GitHub issue/comment events (X-Hub-Signature-256): the trigger label or mention becomes a job',
  })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true, description: 'sha256=HMAC-SHA256(GITHUB_WEBHOOK_SECRET, raw body)' })
  @ApiHeader({ name: 'X-GitHub-Event', required: true })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: true })
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  @ApiCreatedResponse({ type: WebhookResultView, description: 'A job was created' })
  @ApiAcceptedResponse({
    type: WebhookResultView,
    description: 'Valid, but not an event that starts a job, or sent by someone not trusted (recorded in the ledger as webhook.ignored)',
  })
  async github(
    @Req() request: RawRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('x-hub-signature-256') signature: string | undefined,
    @Headers('x-github-event') event: string | undefined,
    @Headers('x-github-delivery') deliveryId: string | undefined,
  ): Promise<WebhookResultView> {
    const secret = this.secret(this.config.webhooks.githubSecret, 'GITHUB_WEBHOOK_SECRET');
    this.verify(secret, request.rawBody, signature);
    const payload = githubPayload(request.body);
    const intent = this.intake.githubIntent(event, payload);
    if ('ignored' in intent) {
      if (intent.untrusted) {
        await this.intake.recordUntrusted(
          'github',
          {
            deliveryId,
            event,
            // Only what has the shape GitHub gives it is recorded: the rest of a payload is not storable text for sure.
            action: /^[a-z_]{1,50}$/.test(String(payload.action)) ? payload.action : undefined,
            repository: /^[\w.-]{1,100}\/[\w.-]{1,100}$/.test(String(payload.repository?.full_name))
              ? payload.repository?.full_name
              : undefined,
            issue: Number.isSafeInteger(payload.issue?.number) ? payload.issue?.number : undefined,
          },
          intent.untrusted,
        );
      }
      return { ignored: true, reason: intent.ignored };
    }
    if (!deliveryId) throw new DomainException(WebhooksErrorCode.InvalidPayload, 'X-GitHub-Delivery is missing');
    const created = await this.intake.intake('github', deliveryId, intent);
    reply.status(201);
    return { ignored: false, ...created };
  }

  @Post('generic')
  @HttpCode(201)
  @ApiErrors(401, 403, 404, 409, 422)
  @ApiOperation({
    operationId: 'genericWebhook',
    summary: 'A signed JSON request (X-AICT-Signature over "<timestamp>.<body>") becomes a job, once per delivery id',
  })
  @ApiHeader({
    name: 'X-AICT-Signature',
    required: true,
    description: 'sha256=HMAC-SHA256(GENERIC_WEBHOOK_SECRET, "<timestamp>.<raw body>")',
  })
  @ApiBody({ type: GenericWebhookRequest })
  @ApiCreatedResponse({ type: WebhookResultView })
  async generic(@Req() request: RawRequest, @Headers('x-aict-signature') signature: string | undefined): Promise<WebhookResultView> {
    const secret = this.secret(this.config.webhooks.genericSecret, 'GENERIC_WEBHOOK_SECRET');
    const timestamp = (request.body as { timestamp?: unknown } | undefined)?.timestamp;
    if (!request.rawBody || typeof timestamp !== 'number') throw this.badSignature();
    this.verify(secret, Buffer.concat([Buffer.from(`${timestamp}.`), request.rawBody]), signature);
    const body: GenericWebhookRequest = await this.validation.transform(request.body, { type: 'body', metatype: GenericWebhookRequest });
    const skew = Math.abs(Date.now() / 1_000 - body.timestamp);
    if (skew > this.config.webhooks.maxSkewSeconds) {
      throw new DomainException(
        WebhooksErrorCode.StaleTimestamp,
        `The timestamp is ${Math.round(skew)} s from now (at most ${this.config.webhooks.maxSkewSeconds} s allowed)`,
      );
    }
    const created = await this.intake.intake('generic', body.deliveryId, { goal: body.goal, repo: body.repo, mode: body.mode });
    return { ignored: false, ...created };
  }

  private secret(value: string | undefined, name: string): string {
    if (!value) throw new DomainException(WebhooksErrorCode.NotConfigured, `This webhook is not configured (set ${name})`);
    return value;
  }

  private verify(secret: string, payload: Buffer | undefined, signature: string | undefined): void {
    if (!payload || !signatureMatches(secret, payload, signature)) throw this.badSignature();
  }

  private badSignature(): DomainException {
    return new DomainException(WebhooksErrorCode.BadSignature, 'The signature is missing or does not match the body');
  }
}

/** GitHub sends JSON, or a form with the JSON in `payload`. */
function githubPayload(body: unknown): GithubIssuePayload {
  const form = body as { payload?: unknown } | undefined;
  if (form && typeof form.payload === 'string') {
    try {
      return JSON.parse(form.payload) as GithubIssuePayload;
    } catch {
      throw new DomainException(WebhooksErrorCode.InvalidPayload, 'The payload is not JSON');
    }
  }
  if (!body || typeof body !== 'object') throw new DomainException(WebhooksErrorCode.InvalidPayload, 'The payload is not a JSON object');
  return body as GithubIssuePayload;
}
