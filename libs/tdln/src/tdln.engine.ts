import type {
  Artefact,
  ClaimCheck,
  EngineInfo,
  InclusionProof,
  ModelSource,
  ParseIntentResult,
  PolicyDecision,
  PolicyInput,
  QualityInput,
  QualityVerdict,
  RenderResult,
  SigningKeyPair,
  StagesResult,
  TruthPackBinding,
  TruthPackResult,
  TruthPackVerification,
  VerifyResult,
} from '../../../native/binding';
import { TdlnBinding } from './tdln-binding';
import { TdlnErrorCode } from './tdln.errors';
import { DomainException } from '@app/common';

/**
 * A text a person reads, as tdln-out rendered it: the text, the template it came from, and the
 * evidence it cites (each data path with the value it rendered as). Stored beside the text wherever
 * it goes (message data, question data, ledger entries) as {@link RenderedText.ref}.
 */
export interface RenderedText {
  text: string;
  templateId: string;
  citations: string[];
  /** Data path → the value the text shows for it (paths, check ids, commits, job ids…). */
  evidence: Record<string, string>;
}

/** What is stored beside a rendered text: which template, and what it cites. */
export interface RenderedRef {
  id: string;
  citations: string[];
  evidence: Record<string, string>;
}

/** The reference to store beside a rendered text. */
export function renderedRef(rendered: RenderedText): RenderedRef {
  return { id: rendered.templateId, citations: rendered.citations, evidence: rendered.evidence };
}

/** DI token of the {@link TdlnEngine}. */
export const TDLN = Symbol('TDLN');

export type JobModeName = 'mechanic' | 'genius';

/**
 * The typed facade over the Rust TDLN engine: the one way the rest of the service reaches the
 * native addon. Engine failures come back as `errors` in results; the few operations whose
 * failure is a bug here (canonical JSON of our own data) throw instead.
 */
export class TdlnEngine {
  constructor(
    private readonly binding: TdlnBinding,
    private readonly options: { policyText?: string; intentThreshold?: number } = {},
  ) {}

  /** Engine version and the hashes of its grammar and templates. */
  info(): EngineInfo {
    return this.binding.engineInfo();
  }

  /**
   * Natural language → intent, or an abstention with a reason, a question naming what is missing
   * and rephrasings that parse (naming real files when the repository's `files` are given).
   */
  parseIntent(text: string, files?: string[]): ParseIntentResult {
    return this.binding.parseIntent(text, { threshold: this.options.intentThreshold, files });
  }

  /** A model's proposed intent (its forced tool call's input) read and checked into the engine's intent shape. */
  intentFromProposal(text: string, proposal: Record<string, unknown>, source: ModelSource): ParseIntentResult {
    return this.binding.intentFromProposal(text, proposal, source);
  }

  /** The JSON schema of an intent proposal: the input schema of the model's intake tool. */
  intentProposalSchema(): Record<string, unknown> {
    return this.binding.intentProposalSchema();
  }

  /**
   * Policy verdict over an intent, proposed actions and the request's own text (the configured
   * policy, else the mode's preset; the request rules always).
   */
  evaluatePolicy(input: PolicyInput): PolicyDecision {
    return this.binding.evaluatePolicy(input, this.options.policyText);
  }

  /** The end-of-job quality gate for a profile (`mechanic` or `genius`). */
  checkQuality(input: QualityInput, profile: JobModeName): QualityVerdict {
    return this.binding.checkQuality(input, profile);
  }

  /** Renders an outcome template with citations; a template error is an error, never empty text. */
  render(templateId: string, data: Record<string, unknown>): RenderResult {
    return this.binding.renderTemplate(templateId, JSON.stringify(data));
  }

  /**
   * Renders a text a person reads through its template. The data is built by our own code, so a
   * template error (a missing field) is a bug: it throws rather than showing an empty or ad-hoc text.
   */
  text(templateId: string, data: Record<string, unknown>): RenderedText {
    const result = this.render(templateId, data);
    if (result.errors.length > 0) {
      throw new DomainException(
        TdlnErrorCode.TemplateFailed,
        `Template ${templateId} could not be rendered: ${result.errors.map((e) => `${e.message}${e.path ? ` (${e.path})` : ''}`).join('; ')}`,
        { templateId, errors: result.errors },
      );
    }
    return {
      text: result.text,
      templateId: result.templateId,
      citations: result.citations,
      evidence: Object.fromEntries(result.evidence.map((e) => [e.path, e.value])),
    };
  }

  /** The quality gate's claimed-paths check on its own: the paths a text names that the evidence does not contain. */
  checkClaims(text: string, evidence: string[]): ClaimCheck {
    return this.binding.checkClaims(text, evidence);
  }

  templateIds(): string[] {
    return this.binding.templateIds();
  }

  /**
   * Seals provenance items (each hashed as RFC 8785 JSON) under a Merkle root, and signs the statement
   * binding that root to its job (id, repository, base and head commits, item count, time, key id).
   */
  buildTruthPack(items: unknown[], binding: TruthPackBinding, secretKeyHex: string): TruthPackResult {
    return this.binding.buildTruthPack(this.canonicalJson(items), binding, secretKeyHex);
  }

  /**
   * Checks a pack offline: consistency and signature under the key it names, and, with `trustedKeyHex`,
   * that this key signed it. `valid` needs a trusted key; without one only `intact` can be true.
   */
  verifyTruthPack(packJson: string, trustedKeyHex?: string): TruthPackVerification {
    return this.binding.verifyTruthPack(packJson, trustedKeyHex ?? null);
  }

  /** The Merkle root a pack of these items will carry, known before anything is signed. */
  truthPackRoot(items: unknown[]): string {
    const result = this.binding.truthPackRoot(this.canonicalJson(items));
    if (!result.root) throw new DomainException(TdlnErrorCode.InvalidInput, 'No Merkle root for these items', { errors: result.errors });
    return result.root;
  }

  /** The id packs give a public key: the first 16 hex digits of SHA-256 of its bytes. */
  truthPackKeyId(publicKeyHex: string): string {
    const result = this.binding.truthPackKeyId(publicKeyHex);
    if (!result.keyId) throw new DomainException(TdlnErrorCode.InvalidInput, 'Not an Ed25519 public key', { errors: result.errors });
    return result.keyId;
  }

  inclusionProof(items: unknown[], index: number): InclusionProof {
    const result = this.binding.inclusionProof(this.canonicalJson(items), index);
    if (!result.proof) throw new DomainException(TdlnErrorCode.InvalidInput, 'No inclusion proof', { errors: result.errors });
    return result.proof;
  }

  /** Every item's inclusion proof in one pass: the items are hashed once, not once per proof. */
  inclusionProofs(items: unknown[]): InclusionProof[] {
    const result = this.binding.inclusionProofs(this.canonicalJson(items));
    if (result.errors.length > 0) throw new DomainException(TdlnErrorCode.InvalidInput, 'No inclusion proofs', { errors: result.errors });
    return result.proofs;
  }

  verifyInclusion(item: unknown, proof: InclusionProof, root: string): VerifyResult {
    return this.binding.verifyInclusion(this.canonicalJson(item), proof, root);
  }

  generateSigningKey(): SigningKeyPair {
    return this.binding.generateSigningKey();
  }

  /** RFC 8785 canonical JSON of a value, by the engine (the same bytes the ledger hashes). */
  canonicalJson(value: unknown): string {
    const result = this.binding.canonicalJson(JSON.stringify(value));
    if (result.json === undefined || result.errors.length > 0) {
      throw new DomainException(TdlnErrorCode.InvalidInput, 'Value has no canonical JSON form', { errors: result.errors });
    }
    return result.json;
  }

  sha256Hex(text: string): string {
    return this.binding.sha256Hex(text);
  }

  /** Grammars, templates, policies, quality profiles and stages, with versions and content hashes. */
  registry(): Artefact[] {
    return this.binding.registryList().artefacts;
  }

  /** Validates a stages config, or the built-in one when no text is given. */
  stages(text?: string): StagesResult {
    return text === undefined ? this.binding.defaultStages() : this.binding.validateStages(text);
  }
}
