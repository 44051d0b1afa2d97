export * from './evaluation.module';
export { EvaluationService } from './evaluation.service';
export type { Evaluation } from './evaluation.service';
