import { Controller, Get, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DatabaseHealth, Public, RateLimited } from '@app/common';

class LiveView {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}

class ReadyView {
  @ApiProperty({ enum: ['ready', 'not_ready'] }) status: 'ready' | 'not_ready';
  @ApiProperty() database: boolean;
  @ApiProperty() migrations: boolean;
}

/** Probes for load balancers and orchestrators. */
@ApiTags('health')
@Public()
@RateLimited('none')
@Controller('api/health')
export class HealthController {
  constructor(private readonly database: DatabaseHealth) {}

  @Get('live')
  @ApiOperation({ operationId: 'healthLive', summary: 'The process is up' })
  @ApiOkResponse({ type: LiveView })
  live(): LiveView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'healthReady', summary: 'The database answers and migrations are done' })
  @ApiOkResponse({ type: ReadyView })
  @ApiServiceUnavailableResponse({ type: ReadyView })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadyView> {
    const { database, migrations } = await this.database.check();
    const view: ReadyView = { status: database && migrations ? 'ready' : 'not_ready', database, migrations };
    // The documented 503 body is this view (an exception would become the error envelope).
    if (view.status !== 'ready') reply.status(503);
    return view;
  }
}
