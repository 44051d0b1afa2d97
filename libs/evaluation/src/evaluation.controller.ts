import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommonErrorCode, DomainException, IntField, UuidParamPipe } from '@app/common';
import { EvaluationService } from './evaluation.service';

export class EvaluationView {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ description: 'The run of the job this evaluates (1, then one more per retry)' }) run: number;
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

/** Query of `GET /api/jobs/{id}/evaluation`. */
export class EvaluationQuery {
  @IntField({ description: 'An earlier run (default: the latest run of the job)', optional: true, min: 1, max: 1_000_000 })
  run?: number;
}

@ApiTags('evaluations')
@Controller('api/jobs')
export class EvaluationController {
  constructor(private readonly evaluations: EvaluationService) {}

  @Get(':id/evaluation')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'getJobEvaluation',
    summary: 'The evaluation of the latest run of a finished job (or of an earlier run): correctness, efficiency, honesty, safety',
    description:
      'Each run of a job (a retry starts a new one) is evaluated on its own when it ends; earlier runs keep theirs. Without `run`, ' +
      'the latest run: 404 until it has been evaluated, even when an earlier run was.',
  })
  @ApiOkResponse({ type: EvaluationView })
  async get(@Param('id', UuidParamPipe) id: string, @Query() query: EvaluationQuery): Promise<EvaluationView> {
    const runs = await this.evaluations.runsOf(id);
    if (!runs) throw new DomainException(CommonErrorCode.NotFound, `Job ${id} does not exist`);
    const run = query.run ?? runs.run;
    const evaluation = await this.evaluations.get(id, run);
    if (!evaluation) {
      throw new DomainException(
        CommonErrorCode.NotFound,
        `Run ${run} of job ${id} has not been evaluated (yet)${runs.evaluated.length ? `; evaluated runs: ${runs.evaluated.join(', ')}` : ''}`,
        { run, evaluatedRuns: runs.evaluated },
      );
    }
    return evaluation;
  }
}
