export * from './tdln.errors';
export * from './tdln.engine';
export { loadTdlnBinding } from './tdln-binding';
export * from './tdln.module';
export * from './tdln.tokens';
export * from './signing-key.store';
export type {
  Abstain,
  Artefact,
  ClaimCheck,
  CitedValue,
  EngineError,
  EngineInfo,
  InclusionProof,
  Intent,
  KeyTrust,
  PackFormat,
  IntentSource,
  ModelSource,
  ParseIntentResult,
  PipelineStage,
  PolicyAction,
  PolicyDecision,
  PolicyInput,
  PolicyViolation,
  QualityInput,
  QualityVerdict,
  RenderResult,
  StagesResult,
  TruthPack,
  TruthPackBinding,
  TruthPackStatement,
  TruthPackVerification,
  VerifyResult,
} from '../../../native/binding';
export * from './dto/intent.view';
