import { Injectable } from '@nestjs/common';
import { IntakeRequest as JobIntakeRequest, IntakeResult, JobIntake } from '@app/jobs';
import { IntakeService, Understanding } from './intake.service';

/**
 * Intake as the jobs lib sees it: the request understood and judged by {@link IntakeService}, and
 * what goes on the job — the intent with its source and policy decision, the ledger entries, the
 * intake model call as an event, and its usage charged to the job.
 */
@Injectable()
export class ModelAwareJobIntake implements JobIntake {
  constructor(private readonly intake: IntakeService) {}

  async understand(request: JobIntakeRequest): Promise<IntakeResult> {
    return this.toResult(
      await this.intake.understand({
        goal: request.goal,
        repo: request.repo,
        baseRef: request.baseRef,
        mode: request.mode,
        source: request.source,
      }),
    );
  }

  /** What goes on the job for an understanding already reached. */
  toResult(u: Understanding): IntakeResult {
    const { intent, policy, mode, model } = u;
    const charged = model && !model.cached ? { tokens: model.tokens, costCents: model.costCents } : undefined;
    const from = intent.source.kind === 'model' ? `model ${intent.source.model}` : `grammar rule ${intent.source.ruleId}`;
    return {
      mode,
      intent: { ...intent, policy, ...(model ? { intakeModelCall: model } : {}) } as unknown as Record<string, unknown>,
      intentLogline: intent.span,
      usage: charged,
      records: [
        {
          kind: 'intent.parsed',
          summary: `${intent.operation} (${from}, ${Math.round(intent.confidence * 100)}%) ${intent.targets.join(', ')}`.trim(),
          data: {
            operation: intent.operation,
            targets: intent.targets,
            mode,
            readOnly: intent.readOnly,
            confidence: intent.confidence,
            constraints: intent.constraints,
            source: intent.source,
            proof: intent.proof,
            ...(model ? { model } : {}),
          },
        },
        { kind: 'policy.decision', summary: `intake: ${policy.verdict} (risk ${policy.riskScore})`, data: { stage: 'intake', ...policy } },
      ],
      events: model
        ? [
            {
              type: 'model_call',
              role: 'coordinator',
              summary: `intake → ${model.model}: ${model.cached ? 'answered from the intake cache' : `${model.tokens} tokens, ${model.costCents.toFixed(3)}¢, ${model.latencyMs} ms`}`,
              data: { stage: 'intake', ...model, totalTokens: model.tokens },
            },
          ]
        : [],
    };
  }
}
