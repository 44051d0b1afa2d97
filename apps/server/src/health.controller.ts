import { Controller, Get, Inject, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ModelGateway } from '@app/agents';
import { APP_CONFIG, AppConfig, DatabaseHealth, Public, RateLimited } from '@app/common';
import { QueueRepository } from '@app/worker';

class LiveView {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}

class SandboxWorkersView {
  @ApiProperty({ description: 'Live workers whose sandbox runs commands' }) ok: number;
  @ApiProperty({ description: 'Live workers running commands without isolation (SANDBOX=none)' }) disabled: number;
  @ApiProperty({ description: 'Live workers that cannot run commands' }) unavailable: number;
}

class SandboxView {
  @ApiProperty({
    enum: ['ok', 'disabled', 'unavailable', 'unknown'],
    description:
      'ok: every live worker can run tests in the sandbox; disabled: SANDBOX=none; unavailable: some worker cannot (jobs that need tests fail with sandbox_unavailable); unknown: no worker has reported yet',
  })
  state: 'ok' | 'disabled' | 'unavailable' | 'unknown';
  @ApiPropertyOptional({ description: 'What is wrong, when a worker cannot run commands' }) message?: string;
  @ApiPropertyOptional({ description: 'How to fix it' }) fix?: string;
  @ApiProperty({ type: SandboxWorkersView }) workers: SandboxWorkersView;
}

class ModelModesView {
  @ApiProperty() mechanic: string;
  @ApiProperty() genius: string;
}

class ModelView {
  @ApiProperty({
    description:
      'Whether this process has a model configured (ANTHROPIC_API_KEY); without one, jobs that need the model fail at once with model_not_configured and the dashboard says so',
  })
  configured: boolean;
  @ApiProperty({ type: ModelModesView, description: 'The model of each mode' }) models: ModelModesView;
}

class ReadyView {
  @ApiProperty({ enum: ['ready', 'not_ready'] }) status: 'ready' | 'not_ready';
  @ApiProperty() database: boolean;
  @ApiProperty() migrations: boolean;
  @ApiPropertyOptional({
    type: SandboxView,
    description: 'The test sandbox of the live workers (reported, never a reason for 503: the API serves without it)',
  })
  sandbox?: SandboxView;
  @ApiPropertyOptional({ type: ModelView, description: 'The model jobs use (reported, never a reason for 503)' })
  model?: ModelView;
}

type SandboxFact = { state?: 'ok' | 'disabled' | 'unavailable'; message?: string; fix?: string };

/** Probes for load balancers and orchestrators. */
@ApiTags('health')
@Public()
@RateLimited('none')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly database: DatabaseHealth,
    private readonly queue: QueueRepository,
    private readonly model: ModelGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'healthLive', summary: 'The process is up' })
  @ApiOkResponse({ type: LiveView })
  live(): LiveView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'healthReady',
    summary:
      'The database answers and migrations are done; also says whether the workers can run tests in their sandbox and whether a model is configured',
  })
  @ApiOkResponse({ type: ReadyView })
  @ApiServiceUnavailableResponse({ type: ReadyView })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadyView> {
    const { database, migrations } = await this.database.check();
    const view: ReadyView = { status: database && migrations ? 'ready' : 'not_ready', database, migrations };
    // The documented 503 body is this view (an exception would become the error envelope).
    if (view.status !== 'ready') reply.status(503);
    else {
      view.sandbox = await this.sandbox();
      view.model = { configured: this.model.configured, models: { ...this.config.model.models } };
    }
    return view;
  }

  /** The sandbox state the live workers reported. */
  private async sandbox(): Promise<SandboxView> {
    const workers = await this.queue.liveWorkers(this.config.worker.heartbeatMs * 3).catch(() => []);
    const facts = workers.map((w) => (w.facts as { sandbox?: SandboxFact }).sandbox).filter((f): f is SandboxFact => !!f?.state);
    const count = (state: string) => facts.filter((f) => f.state === state).length;
    const counts = { ok: count('ok'), disabled: count('disabled'), unavailable: count('unavailable') };
    const broken = facts.find((f) => f.state === 'unavailable');
    if (broken) return { state: 'unavailable', message: broken.message, fix: broken.fix, workers: counts };
    if (counts.disabled > 0)
      return { state: 'disabled', message: 'SANDBOX=none: tests and linters run without isolation', workers: counts };
    return { state: counts.ok > 0 ? 'ok' : 'unknown', workers: counts };
  }
}
