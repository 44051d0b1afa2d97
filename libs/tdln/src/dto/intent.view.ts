import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_MODES, JobMode } from '@app/common';
import type { AbstainReason, Missing, Operation, PolicyVerdict, RiskLevel, SourceKind } from '../../../../native/binding';

// The engine's answers as the API documents them: the shapes of native/binding/index.d.ts, named in the
// OpenAPI document so the typed client (libs/api-client) gives the CLI and the dashboard real types.

const OPERATIONS: Operation[] = [
  'bug_fix',
  'feature',
  'analyze',
  'review',
  'refactor',
  'test',
  'document',
  'file_create',
  'file_delete',
  'file_rename',
  'change',
  'dependency_update',
  'performance',
];
const VERDICTS: PolicyVerdict[] = ['allow', 'warn', 'require_approval', 'block'];
const RISK_LEVELS: RiskLevel[] = ['low', 'medium', 'high', 'critical'];
const SOURCE_KINDS: SourceKind[] = ['grammar', 'model'];
const ABSTAIN_REASONS: AbstainReason[] = ['too_vague', 'ambiguous', 'no_match'];
const MISSING: Missing[] = ['operation', 'target', 'behaviour', 'choice'];

/** A constraint the request states ("without touching the tests"). */
export class IntentConstraintView {
  @ApiProperty({ description: 'Constraint id, e.g. no_test_changes, keep_public_api' }) id: string;
  @ApiProperty({ description: 'The phrase it came from' }) text: string;
}

/** What read the request: a grammar rule, or a model (with its request id and prompt hash). */
export class IntentSourceView {
  @ApiProperty({ enum: SOURCE_KINDS, enumName: 'IntentSourceKind' }) kind: SourceKind;
  @ApiProperty({ description: 'The grammar rule that matched, or `model`' }) ruleId: string;
  @ApiProperty({ description: 'SHA-256 of the grammar (for a model intent: the grammar that abstained)' }) grammarHash: string;
  @ApiProperty() grammarVersion: string;
  @ApiPropertyOptional({ description: 'The model that proposed the intent' }) model?: string;
  @ApiPropertyOptional({ description: "The provider's request id" }) requestId?: string;
  @ApiPropertyOptional({ description: 'SHA-256 of the prompt the model was given' }) promptHash?: string;
}

/** Where a slot's value sits in the normalised request. */
export class SlotSpanView {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Start byte offset' }) start: number;
  @ApiProperty({ description: 'End byte offset (exclusive)' }) end: number;
}

/** How the intent was derived, so anyone can re-derive it. */
export class IntentProofView {
  @ApiProperty({ description: 'SHA-256 of the normalised input' }) inputHash: string;
  @ApiProperty() grammarHash: string;
  @ApiProperty() grammarVersion: string;
  @ApiProperty() ruleId: string;
  @ApiProperty({ description: 'The pattern that matched' }) pattern: string;
  @ApiProperty({ description: 'The normalised input' }) normalized: string;
  @ApiProperty({ description: 'The text the pattern ran on (constraint phrases removed)' }) matchedText: string;
  @ApiProperty({ type: [SlotSpanView] }) slotSpans: SlotSpanView[];
}

/** A request understood: what to do, on what, in which mode, and how that was decided. */
export class IntentView {
  @ApiProperty({ enum: OPERATIONS, enumName: 'Operation' }) operation: Operation;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Slot values (target, description, new_path, …)' })
  slots: Record<string, string>;
  @ApiProperty({ type: [String], description: 'Every path the request names' }) targets: string[];
  @ApiProperty({ enum: JOB_MODES, enumName: 'JobMode' }) mode: JobMode;
  @ApiProperty({ description: 'True for analyze and review: the job changes no code' }) readOnly: boolean;
  @ApiProperty({ type: [IntentConstraintView] }) constraints: IntentConstraintView[];
  @ApiProperty({ description: 'Confidence, 0 to 1' }) confidence: number;
  @ApiProperty({ description: 'The intent as LogLine text' }) span: string;
  @ApiProperty({ type: IntentProofView }) proof: IntentProofView;
  @ApiPropertyOptional({ type: IntentSourceView, description: 'Absent on jobs created before intents recorded their source' })
  source?: IntentSourceView;
}

/** The engine could not read the request: why, what is missing, the question to ask, and rephrasings it would read. */
export class AbstainView {
  @ApiProperty({ enum: ABSTAIN_REASONS, enumName: 'AbstainReason' }) reason: AbstainReason;
  @ApiProperty({ enum: MISSING, enumName: 'AbstainMissing' }) missing: Missing;
  @ApiProperty({ description: 'The question to ask, naming what is missing' }) clarification: string;
  @ApiProperty({ type: [String], description: 'Rephrasings the grammar accepts' }) suggestions: string[];
  @ApiProperty({ enum: OPERATIONS, enumName: 'Operation', isArray: true, description: 'Operations considered, best first' })
  candidates: Operation[];
  @ApiProperty({ description: 'Confidence of the best candidate' }) confidence: number;
}

/** One rule the request or the intent broke. */
export class PolicyViolationView {
  @ApiProperty({ description: 'e.g. forbidden_path, max_files, disable_security' }) ruleId: string;
  @ApiProperty({ enum: VERDICTS, enumName: 'PolicyVerdict', description: 'The verdict this violation calls for' }) severity: PolicyVerdict;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: 'The path or command concerned' }) path?: string;
  @ApiProperty({ description: 'What to do' }) remediation: string;
  @ApiPropertyOptional({ description: 'The words of the request that fired a request rule' }) evidence?: string;
}

/** The policy's decision on a request and its intent. */
export class PolicySummaryView {
  @ApiProperty({ enum: VERDICTS, enumName: 'PolicyVerdict' }) verdict: PolicyVerdict;
  @ApiProperty({ description: 'Risk, 0 to 100' }) riskScore: number;
  @ApiProperty({ enum: RISK_LEVELS, enumName: 'RiskLevel' }) riskLevel: RiskLevel;
  @ApiProperty({ type: [PolicyViolationView], description: 'Most severe first' }) violations: PolicyViolationView[];
  @ApiProperty({ type: [String] }) remediation: string[];
  @ApiProperty() policyId: string;
  @ApiProperty() policyVersion: string;
  @ApiProperty({ description: "SHA-256 of the policy's canonical JSON" }) policyHash: string;
  @ApiPropertyOptional({ description: 'SHA-256 of the request rules, when the request text was judged' }) requestRulesHash?: string;
}
