/** DI token of the server's TruthPack signing key ({@link SigningKey}). */
export const SIGNING_KEY = Symbol('SIGNING_KEY');
/** DI token of the validated pipeline stages (a `StagesResult`). */
export const PIPELINE_STAGES = Symbol('PIPELINE_STAGES');
