import { Module } from '@nestjs/common';
import { EventsModule } from '@app/events';
import { MetricsService } from './metrics.service';
import { MetricsController } from './metrics.controller';

/** Metrics as JSON, live over SSE, and in Prometheus format. */
@Module({
  imports: [EventsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
