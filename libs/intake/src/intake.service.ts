import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from 'pino';
import {
  APP_CONFIG,
  AppConfig,
  DomainException,
  intakeRequests,
  intakeSeconds,
  JobMode,
  LOGGER,
  redactSecrets,
  RepositoryAccess,
} from '@app/common';
import { listRepositoryFiles } from '@app/tools';
import { Abstain, Intent, PolicyAction, PolicyDecision, TDLN, TdlnEngine } from '@app/tdln';
import { IntakeCache } from './intake-cache';
import { IntakeModel } from './intake-model';
import { IntakeErrorCode } from './intake.errors';

/** A request to understand, from any channel. */
export interface IntakeRequest {
  goal: string;
  /** Server path or git URL; a server path lets intake list the repository's files. */
  repo?: string;
  baseRef?: string;
  /** A mode the caller insists on; otherwise the intent's. */
  mode?: JobMode;
  /** `api`, `chat`, `cli`, `webhook`, `system`, or `preview`. */
  source: string;
  /** Ask the model when the grammar abstains (default: yes, when one is configured). */
  useModel?: boolean;
}

/** The model call behind a model-parsed intent (or a model's question). */
export interface IntakeModelCall {
  model: string;
  requestId: string;
  promptHash: string;
  tokens: number;
  costCents: number;
  latencyMs: number;
  /** Answered from the intake cache: no call was made and nothing was charged. */
  cached: boolean;
}

/** The policy's decision, as stored on a job and shown in previews. */
export type PolicySummary = Pick<
  PolicyDecision,
  'verdict' | 'riskScore' | 'riskLevel' | 'violations' | 'remediation' | 'policyId' | 'policyVersion' | 'policyHash' | 'requestRulesHash'
>;

/** A request understood and allowed. */
export interface Understanding {
  intent: Intent;
  mode: JobMode;
  policy: PolicySummary;
  source: 'grammar' | 'model';
  model?: IntakeModelCall;
  latencyMs: number;
}

/** What a reading came to: understood, or refused / unclear / unavailable (as the error to raise). */
export type IntakeOutcome =
  | { kind: 'understood'; understanding: Understanding }
  | {
      kind: 'refused' | 'unclear' | 'unavailable';
      error: DomainException;
      abstain?: Abstain;
      policy?: PolicySummary;
      source: 'grammar' | 'model';
      model?: IntakeModelCall;
      latencyMs: number;
    };

type CachedProposal = { proposal: Record<string, unknown>; model: string; requestId: string; promptHash: string };

/** The file change an intent implies for each of its targets, as the policy sees it. */
function impliedActions(intent: Intent): PolicyAction[] {
  if (intent.readOnly) return [];
  const kind = intent.operation === 'file_delete' ? 'delete' : intent.operation === 'file_create' ? 'create' : 'edit';
  return intent.targets.map((path) => ({ type: 'file_change', path, kind }));
}

function summary(decision: PolicyDecision): PolicySummary {
  const { verdict, riskScore, riskLevel, violations, remediation, policyId, policyVersion, policyHash, requestRulesHash } = decision;
  return { verdict, riskScore, riskLevel, violations, remediation, policyId, policyVersion, policyHash, requestRulesHash };
}

/**
 * The one intake path (API, chat, webhooks, CLI, the dashboard's preview): the request's text is
 * judged by the policy's request rules first; the grammar reads it; when the grammar abstains and
 * a model is configured, the model proposes a structured intent through one forced tool call,
 * which the engine checks like its own; then the policy judges the final intent and the text the
 * same way whichever path parsed it. A model-proposed intent can never lower what the text carries.
 */
@Injectable()
export class IntakeService {
  private readonly cache: IntakeCache<CachedProposal>;
  private readonly logger: Logger;

  constructor(
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    private readonly model: IntakeModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repositories: RepositoryAccess,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.cache = new IntakeCache(config.intake.cacheTtlMs, config.intake.cacheSize);
    this.logger = logger.child({ component: 'intake' });
  }

  /** Whether a model can be asked when the grammar abstains. */
  get modelAvailable(): boolean {
    return this.model.available;
  }

  /** Understands and judges a request; throws the 422, 403 or 503 when it does not become a job. */
  async understand(request: IntakeRequest): Promise<Understanding> {
    const outcome = await this.read(request);
    if (outcome.kind !== 'understood') throw outcome.error;
    return outcome.understanding;
  }

  /**
   * The same reading, returned whatever it came to (the dashboard's and CLI's preview). A repository
   * the access policy refuses is a `repo_not_allowed` error before anything reads it (its file list
   * would otherwise reach the model and the answer).
   */
  async read(request: IntakeRequest): Promise<IntakeOutcome> {
    if (request.repo !== undefined) this.repositories.assertAllowed(request.repo);
    const started = performance.now();
    const outcome = await this.readTimed(request, started);
    const source = outcome.kind === 'understood' ? outcome.understanding.source : outcome.source;
    const askedModel =
      outcome.kind === 'understood'
        ? outcome.understanding.model !== undefined
        : outcome.model !== undefined || outcome.kind === 'unavailable';
    intakeSeconds.observe({ path: askedModel ? 'model' : 'grammar' }, (performance.now() - started) / 1000);
    intakeRequests.inc({ source, outcome: outcome.kind });
    return outcome;
  }

  private async readTimed(request: IntakeRequest, started: number): Promise<IntakeOutcome> {
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    // A secret pasted into a request must not reach the model, the ledger or any response.
    const goal = redactSecrets(request.goal);

    // 1. What the text itself would do is judged before anything else reads it.
    const early = this.judge(goal, request.mode ?? 'mechanic');
    if (early.verdict === 'block') return this.refused(early, 'grammar', undefined, elapsed());

    // 2. The grammar; the model when it abstains.
    let parsed = this.tdln.parseIntent(goal);
    if (parsed.errors.length > 0) {
      const error = new DomainException(
        IntakeErrorCode.UnparseableRequest,
        `The request could not be read: ${parsed.errors.map((e) => e.message).join('; ')}`,
        { errors: parsed.errors },
      );
      return { kind: 'unclear', error, source: 'grammar', latencyMs: elapsed() };
    }
    let source: 'grammar' | 'model' = 'grammar';
    let model: IntakeModelCall | undefined;
    if (!parsed.intent) {
      const listing = request.repo ? await listRepositoryFiles(request.repo, request.baseRef ?? 'HEAD') : null;
      const files = listing?.files ?? null;
      // The grammar's own question, with rephrasings that name the repository's real files.
      const grammarSays = files ? this.tdln.parseIntent(goal, files) : parsed;
      const useModel = request.useModel !== false && this.model.available;
      const prompt = useModel ? this.model.prompt(goal, request.repo, files) : undefined;
      const tooCostly = prompt !== undefined && this.model.estimateCostCents(prompt) > this.config.intake.maxCostCents;
      if (!prompt || tooCostly) {
        const why = tooCostly ? 'over_cost_cap' : this.model.available ? 'not_asked' : 'not_configured';
        return this.unclear(grammarSays.abstain!, 'grammar', undefined, elapsed(), { model: why });
      }
      let asked: CachedProposal & { call: IntakeModelCall };
      try {
        asked = await this.ask(goal, request, files, prompt);
      } catch (error) {
        if (!(error instanceof DomainException)) throw error;
        this.logger.warn({ err: error.message }, 'intake model call failed');
        return { kind: 'unavailable', error, abstain: grammarSays.abstain ?? undefined, source: 'model', latencyMs: elapsed() };
      }
      model = asked.call;
      const read = this.tdln.intentFromProposal(goal, asked.proposal, {
        model: asked.model,
        requestId: asked.requestId,
        promptHash: asked.promptHash,
      });
      const problem =
        read.errors[0] ?? (read.intent && listing && !listing.truncated ? missingTarget(read.intent, listing.files) : undefined);
      if (problem) {
        const error = new DomainException(
          IntakeErrorCode.ModelIntentInvalid,
          `The model's reading of the request was not usable (${problem.path ?? 'proposal'}: ${problem.message}). ${grammarSays.abstain?.clarification ?? ''}`.trim(),
          { ...abstainDetails(grammarSays.abstain!), source: 'model', model, errors: [problem] },
        );
        return { kind: 'unclear', error, abstain: grammarSays.abstain ?? undefined, source: 'model', model, latencyMs: elapsed() };
      }
      this.remember(goal, request, files, asked);
      if (!read.intent) return this.unclear(read.abstain!, 'model', model, elapsed());
      parsed = read;
      source = 'model';
    }

    // 3. One decision over the final intent and the text, whichever path parsed it.
    const intent = parsed.intent!;
    const mode = request.mode ?? intent.mode;
    const decision = this.judge(goal, mode, intent);
    if (decision.verdict === 'block') return this.refused(decision, source, model, elapsed());
    return { kind: 'understood', understanding: { intent, mode, policy: summary(decision), source, model, latencyMs: elapsed() } };
  }

  /** The policy over the request's text, and over the intent and the changes it implies when there is one. */
  private judge(goal: string, mode: JobMode, intent?: Intent): PolicyDecision {
    return this.tdln.evaluatePolicy({
      mode,
      request: goal,
      ...(intent
        ? { intent: { operation: intent.operation, readOnly: intent.readOnly, targets: intent.targets }, actions: impliedActions(intent) }
        : {}),
    });
  }

  private refused(
    decision: PolicyDecision,
    source: 'grammar' | 'model',
    model: IntakeModelCall | undefined,
    latencyMs: number,
  ): IntakeOutcome {
    const policy = summary(decision);
    const dangerous = decision.violations.some((v) => v.evidence !== undefined && v.evidence !== null);
    const message = dangerous
      ? `Refused: ${decision.violations
          .filter((v) => v.evidence)
          .map((v) => v.message)
          .join('; ')}. A person must do this, if it should be done at all.`
      : `Policy blocks this request: ${decision.violations.map((v) => v.message).join('; ')}`;
    const error = new DomainException(IntakeErrorCode.PolicyBlocked, message, {
      reason: dangerous ? 'dangerous' : 'policy',
      source,
      ...policy,
      ...(model ? { model } : {}),
    });
    return { kind: 'refused', error, policy, source, model, latencyMs };
  }

  private unclear(
    abstain: Abstain,
    source: 'grammar' | 'model',
    model: IntakeModelCall | undefined,
    latencyMs: number,
    extra: Record<string, unknown> = {},
  ): IntakeOutcome {
    const details = { ...abstainDetails(abstain), source, ...(model ? { model } : {}), ...extra };
    return {
      kind: 'unclear',
      error: new DomainException(IntakeErrorCode.UnparseableRequest, abstain.clarification, details),
      abstain,
      source,
      model,
      latencyMs,
    };
  }

  /** Asks the model, or answers from the cache. */
  private async ask(
    goal: string,
    request: IntakeRequest,
    files: string[] | null,
    prompt: ReturnType<IntakeModel['prompt']>,
  ): Promise<CachedProposal & { call: IntakeModelCall }> {
    const hit = this.cache.get(this.cacheKey(goal, request, files));
    if (hit)
      return {
        ...hit,
        call: {
          model: hit.model,
          requestId: hit.requestId,
          promptHash: hit.promptHash,
          tokens: 0,
          costCents: 0,
          latencyMs: 0,
          cached: true,
        },
      };
    const answer = await this.model.propose(prompt);
    return {
      proposal: answer.proposal,
      model: answer.model,
      requestId: answer.requestId,
      promptHash: answer.promptHash,
      call: { model: answer.model, requestId: answer.requestId, promptHash: answer.promptHash, ...answer.usage, cached: false },
    };
  }

  /** Only answers the engine accepted (an intent or a question) are remembered. */
  private remember(goal: string, request: IntakeRequest, files: string[] | null, asked: CachedProposal & { call: IntakeModelCall }): void {
    if (asked.call.cached) return;
    const { proposal, model, requestId, promptHash } = asked;
    this.cache.set(this.cacheKey(goal, request, files), { proposal, model, requestId, promptHash });
  }

  /** Repository, ref, its file list, the normalised text, the grammar and the model: nothing crosses repositories. */
  private cacheKey(goal: string, request: IntakeRequest, files: string[] | null): string {
    const text = goal.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
    const filesHash = files ? createHash('sha256').update(files.join('\0')).digest('hex') : '';
    const parts = [request.repo ?? '', request.baseRef ?? '', filesHash, text, this.tdln.info().grammarHash, this.model.modelName];
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }
}

/** The fields of a 422 that say what is missing and how to ask again. */
function abstainDetails(abstain: Abstain): Record<string, unknown> {
  return {
    reason: abstain.reason,
    missing: abstain.missing,
    clarification: abstain.clarification,
    suggestions: abstain.suggestions,
    candidates: abstain.candidates,
    confidence: abstain.confidence,
  };
}

/**
 * A target the model named that is not in the repository (neither a tracked file nor a folder of
 * one), except the new path of a file to create or rename to.
 */
function missingTarget(intent: Intent, files: string[]): { code: string; message: string; path: string } | undefined {
  const tracked = new Set(files);
  const exists = (path: string) => tracked.has(path) || files.some((f) => f.startsWith(`${path.replace(/\/+$/, '')}/`));
  for (const [index, target] of intent.targets.entries()) {
    const isNew = intent.operation === 'file_create' || (intent.operation === 'file_rename' && index > 0);
    if (!isNew && !exists(target)) {
      return {
        code: 'target_not_in_repository',
        message: `${target} is not a file or folder of the repository`,
        path: `targets[${index}]`,
      };
    }
  }
  return undefined;
}
