import { Controller, Get, Query } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { IntField } from '@app/common';

export class InsightView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() detector: string;
  @ApiProperty() title: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity: string;
  @ApiProperty() confidence: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) evidence: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

interface InsightRow {
  id: string;
  detector: string;
  title: string;
  severity: string;
  confidence: number;
  evidence: Record<string, unknown>;
  created_at: Date;
}

export class ListInsightsQuery {
  @IntField({ description: 'How many, newest first (default 50)', optional: true, min: 1, max: 500 })
  limit?: number;
}

@ApiTags('insights')
@Controller('api/insights')
export class InsightsController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({
    operationId: 'listInsights',
    summary: 'What the Watcher found: spikes, repeated errors, redundant work, escalation themes, budget trends',
  })
  @ApiOkResponse({ type: [InsightView] })
  async list(@Query() query: ListInsightsQuery): Promise<InsightView[]> {
    const rows: InsightRow[] = await this.dataSource.query('SELECT * FROM insights ORDER BY created_at DESC, id DESC LIMIT $1', [
      query.limit ?? 50,
    ]);
    return rows.map((r) => ({
      id: r.id,
      detector: r.detector,
      title: r.title,
      severity: r.severity,
      confidence: r.confidence,
      evidence: r.evidence,
      createdAt: r.created_at.toISOString(),
    }));
  }
}
