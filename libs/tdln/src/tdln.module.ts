import { Global, Inject, Module, OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, ConfigError, DomainException, LOGGER } from '@app/common';
import { loadTdlnBinding } from './tdln-binding';
import { TDLN, TdlnEngine } from './tdln.engine';
import { SigningKey, loadSigningKey } from './signing-key.store';
import { TdlnController } from './tdln.controller';
import { TdlnErrorCode } from './tdln.errors';
import { PIPELINE_STAGES, SIGNING_KEY } from './tdln.tokens';

function createEngine(config: AppConfig): TdlnEngine {
  const policyText = config.tdln.policyFile ? readFileSync(config.tdln.policyFile, 'utf8') : undefined;
  const engine = new TdlnEngine(loadTdlnBinding(), { policyText, intentThreshold: config.tdln.intentThreshold });
  if (policyText) {
    const probe = engine.evaluatePolicy({ mode: 'mechanic' });
    if (probe.errors.length > 0) {
      // A setting the service cannot start with, like a bad environment variable: exit code 2.
      throw new ConfigError([
        `POLICY_FILE: ${config.tdln.policyFile} is not a valid policy: ${probe.errors.map((e) => e.message).join('; ')}`,
      ]);
    }
  }
  return engine;
}

/** The TDLN engine (Rust, via napi-rs) as one injectable facade, its signing key and the pipeline stages. */
@Global()
@Module({
  controllers: [TdlnController],
  providers: [
    { provide: TDLN, inject: [APP_CONFIG], useFactory: createEngine },
    {
      provide: SIGNING_KEY,
      inject: [APP_CONFIG, TDLN],
      useFactory: (config: AppConfig, engine: TdlnEngine): SigningKey =>
        loadSigningKey(config.dataDir, config.tdln.signingKey, () => engine.generateSigningKey()),
    },
    {
      provide: PIPELINE_STAGES,
      inject: [APP_CONFIG, TDLN],
      useFactory: (config: AppConfig, engine: TdlnEngine) =>
        engine.stages(config.tdln.stagesFile ? readFileSync(config.tdln.stagesFile, 'utf8') : undefined),
    },
  ],
  exports: [TDLN, SIGNING_KEY, PIPELINE_STAGES],
})
export class TdlnModule implements OnModuleInit {
  constructor(
    @Inject(PIPELINE_STAGES) private readonly stages: ReturnType<TdlnEngine['stages']>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
    @Inject(TDLN) private readonly engine: TdlnEngine,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The pipeline's stages are declared in config and checked before the service accepts work: a bad
   * PIPELINE_STAGES_FILE stops start-up like a bad setting (exit code 2), naming every problem. The
   * TruthPack key is printed, so an operator can record it where verifiers will find it.
   */
  onModuleInit(): void {
    this.logger.info(
      {
        truthpackPublicKey: this.key.publicKey,
        truthpackKeyId: this.engine.truthPackKeyId(this.key.publicKey),
        from: this.config.tdln.signingKey ? 'TRUTHPACK_SIGNING_KEY' : `${this.config.dataDir}/keys/truthpack-ed25519.json`,
      },
      'TruthPacks are signed with this Ed25519 key (also at GET /api/truthpacks/key)',
    );
    if (!this.stages.ok) {
      const problems = this.stages.errors.map((e) => `${e.path ?? ''} ${e.message}`.trim()).join('; ');
      if (!this.config.tdln.stagesFile) {
        throw new DomainException(TdlnErrorCode.InvalidStages, `Invalid pipeline stages in the built-in stages: ${problems}`);
      }
      throw new ConfigError([`PIPELINE_STAGES_FILE: invalid pipeline stages in ${this.config.tdln.stagesFile}: ${problems}`]);
    }
  }
}
