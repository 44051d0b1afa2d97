import { Injectable } from '@nestjs/common';
import { JobContext, JobHandler, JobOutcome } from '@app/worker';
import { JobArtifactsRepository } from '@app/team';
import { EvaluationService } from './evaluation.service';

/** The Evaluator: scores the job it was queued for and records the evaluation on it. */
@Injectable()
export class EvaluatorHandler implements JobHandler {
  constructor(
    private readonly evaluations: EvaluationService,
    private readonly artifacts: JobArtifactsRepository,
  ) {}

  async handle(ctx: JobContext): Promise<JobOutcome> {
    const parentId = ctx.job.parentJobId;
    if (!parentId) return { status: 'failed', code: 'no_parent_job', message: 'An evaluation job must name the job it evaluates' };
    await ctx.setCurrentAction(`evaluating ${parentId}`);
    // The evaluator job's run is the run of the job it evaluates.
    const evaluation = await this.evaluations.evaluate(parentId, ctx.job.run);
    await this.evaluations.store(evaluation, ctx.job.id);
    const summary = `evaluation of ${parentId}${evaluation.run > 1 ? ` (run ${evaluation.run})` : ''}: overall ${evaluation.overall} (correctness ${evaluation.correctness}, efficiency ${evaluation.efficiency}, honesty ${evaluation.honesty}, safety ${evaluation.safety})`;
    await this.artifacts.audit([
      {
        kind: 'evaluation.recorded',
        actor: 'agent:evaluator',
        jobId: parentId,
        traceId: ctx.job.traceId,
        conversationId: ctx.job.conversationId,
        summary,
        data: evaluation as never,
      },
    ]);
    await ctx.emit([{ type: 'evaluation', role: 'evaluator', summary, data: { ...evaluation, evaluatedJobId: parentId } as never }]);
    return { status: 'succeeded', result: evaluation as never };
  }
}
