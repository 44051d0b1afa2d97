import { Inject, Injectable } from '@nestjs/common';
import { Intent, PolicyAction, TDLN, TdlnEngine } from '@app/tdln';
import { JobsErrorCode, JobsException } from '../jobs.errors';
import { IntakeRequest, IntakeResult, JobIntake } from './job-intake';

/** The file change an intent implies for each of its targets, as the policy sees it. */
function impliedActions(intent: Intent): PolicyAction[] {
  if (intent.readOnly) return [];
  const kind = intent.operation === 'file_delete' ? 'delete' : intent.operation === 'file_create' ? 'create' : 'edit';
  return intent.targets.map((path) => ({ type: 'file_change', path, kind }));
}

/**
 * Intake through the TDLN engine: tdln-in parses the goal (422 with the engine's clarifying
 * question and suggestions when it abstains), the policy gate checks the intent and the changes it
 * implies (403 with violations when blocked). Dangerous requests are refused as policy, not as
 * misunderstanding. The intent, its proof and the decision go on the job and into the ledger.
 */
@Injectable()
export class TdlnIntake implements JobIntake {
  constructor(@Inject(TDLN) private readonly tdln: TdlnEngine) {}

  async understand(request: IntakeRequest): Promise<IntakeResult> {
    const parsed = this.tdln.parseIntent(request.goal);
    if (parsed.errors.length > 0) {
      throw new JobsException(JobsErrorCode.UnparseableRequest, `The request could not be read: ${parsed.errors.map((e) => e.message).join('; ')}`, { errors: parsed.errors });
    }
    if (!parsed.intent) {
      const abstain = parsed.abstain!;
      const details = { reason: abstain.reason, clarification: abstain.clarification, suggestions: abstain.suggestions, candidates: abstain.candidates, confidence: abstain.confidence };
      if (abstain.reason === 'dangerous') {
        throw new JobsException(JobsErrorCode.PolicyBlocked, `Refused: ${abstain.clarification}`, { ...details, violations: abstain.matchedDangers.map((id) => ({ ruleId: id, severity: 'block' })) });
      }
      throw new JobsException(JobsErrorCode.UnparseableRequest, abstain.clarification, details);
    }
    const intent = parsed.intent;
    const mode = request.mode ?? intent.mode;
    const decision = this.tdln.evaluatePolicy({
      mode,
      intent: { operation: intent.operation, readOnly: intent.readOnly, targets: intent.targets },
      actions: impliedActions(intent),
    });
    const policy = {
      verdict: decision.verdict,
      riskScore: decision.riskScore,
      riskLevel: decision.riskLevel,
      violations: decision.violations,
      remediation: decision.remediation,
      policyId: decision.policyId,
      policyVersion: decision.policyVersion,
      policyHash: decision.policyHash,
    };
    if (decision.verdict === 'block') {
      throw new JobsException(JobsErrorCode.PolicyBlocked, `Policy blocks this request: ${decision.violations.map((v) => v.message).join('; ')}`, policy);
    }
    return {
      mode,
      intent: { ...intent, policy } as unknown as Record<string, unknown>,
      intentLogline: intent.span,
      records: [
        {
          kind: 'intent.parsed',
          summary: `${intent.operation} (${Math.round(intent.confidence * 100)}%) ${intent.targets.join(', ')}`.trim(),
          data: { operation: intent.operation, targets: intent.targets, mode, readOnly: intent.readOnly, confidence: intent.confidence, constraints: intent.constraints, proof: intent.proof },
        },
        { kind: 'policy.decision', summary: `intake: ${decision.verdict} (risk ${decision.riskScore})`, data: { stage: 'intake', ...policy } },
      ],
    };
  }
}
