import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { IsISO8601, IsOptional } from 'class-validator';
import { ApiEventStream, SseStream } from '@app/common';
import { EventBus } from '@app/events';
import { MetricsService } from './metrics.service';

export class MetricsQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start of the window (default: 24 hours ago)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;
}

export class MetricsView {
  @ApiProperty({ format: 'date-time' }) since: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ total, byStatus, byMode }' }) jobs: Record<string, unknown>;
  @ApiProperty({ type: Number, nullable: true }) successRate: number | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ p50, p95 }' }) durationMs: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{ total, perJob, perSucceededJob, chat }: total counts finished jobs and the chat; per-job figures the jobs alone',
  })
  tokens: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{ total, perJob, perSucceededJob, chat }: total counts finished jobs and the chat; per-job figures the jobs alone',
  })
  costCents: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{ modelCalls, tokens, costCents }: the chat Coordinator’s own model calls (not charged to any job)',
  })
  chat: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ depth, oldestQueuedAgeMs }' }) queue: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{ alive, sandbox: { ok, disabled, unavailable } }: live workers, and whether they can run tests in their sandbox',
  })
  workers: Record<string, unknown>;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Share of the jobs created in the window that escalated: continued in genius mode, asked a person about a cap or a second send-back, or were given a higher cap (null without jobs)',
  })
  escalationRate: number | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) evaluations: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{ hourly: [...], daily: [...] }' }) series: Record<
    string,
    unknown
  >;
}

const DAY_MS = 86_400_000;
const PUSH_AT_MOST_EVERY_MS = 1_000;

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
  ) {}

  @Get('api/metrics')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Jobs, success rate, durations, tokens and cost, queue, workers, escalations, evaluations, series',
  })
  @ApiOkResponse({ type: MetricsView })
  get(@Query() query: MetricsQuery): Promise<MetricsView> {
    return this.metrics.compute(query.since ? new Date(query.since) : new Date(Date.now() - DAY_MS)) as Promise<MetricsView>;
  }

  @Get('api/metrics/stream')
  @ApiOperation({ operationId: 'streamMetrics', summary: 'Metrics, pushed (SSE `metrics`) when jobs change, at most once a second' })
  @ApiEventStream({ description: 'metrics (MetricsView), first at once and then when jobs change', events: ['metrics'] })
  async stream(@Query() query: MetricsQuery, @Res() reply: FastifyReply): Promise<void> {
    const since = query.since ? new Date(query.since) : null;
    const sse = new SseStream(reply);
    const push = async () => sse.send('metrics', await this.metrics.compute(since ?? new Date(Date.now() - DAY_MS)));
    let timer: NodeJS.Timeout | undefined;
    const unsubscribe = this.bus.subscribe({ types: ['status', 'evaluation', 'model_call'] }, () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void push().catch(() => sse.end());
      }, PUSH_AT_MOST_EVERY_MS);
    });
    const heartbeat = setInterval(() => sse.comment('heartbeat'), 15_000);
    sse.onClose(() => {
      unsubscribe();
      clearTimeout(timer);
      clearInterval(heartbeat);
    });
    await push();
  }

  @Get('metrics')
  @ApiOperation({
    operationId: 'prometheusMetrics',
    summary: 'Prometheus text format: jobs, queue, workers, model calls, tool calls, job runs',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async prometheus(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.prometheusContentType).send(await this.metrics.prometheusText());
  }
}
