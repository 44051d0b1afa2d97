import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommonErrorCode, CommonException, UuidParamPipe } from '@app/common';
import { EvaluationService } from './evaluation.service';

export class EvaluationView {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) correctness: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) efficiency: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) honesty: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) safety: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) overall: number;
  @ApiProperty({ type: [String] }) flags: string[];
  @ApiProperty() feedback: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) measurements: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', required: false }) createdAt?: string;
}

@ApiTags('evaluations')
@Controller('api/jobs')
export class EvaluationController {
  constructor(private readonly evaluations: EvaluationService) {}

  @Get(':id/evaluation')
  @ApiErrors(404)
  @ApiOperation({ operationId: 'getJobEvaluation', summary: 'The evaluation of a finished job: correctness, efficiency, honesty, safety' })
  @ApiOkResponse({ type: EvaluationView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<EvaluationView> {
    const evaluation = await this.evaluations.get(id);
    if (!evaluation) throw new CommonException(CommonErrorCode.NotFound, `Job ${id} has not been evaluated (yet)`);
    return evaluation;
  }
}
