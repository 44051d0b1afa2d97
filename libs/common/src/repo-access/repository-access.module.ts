import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { LOGGER } from '../logging/logging.module';
import { HostLookup, RepositoryAccess, repositoryAccessOf } from './repository-access';

/** Options of {@link RepositoryAccessModule}: the resolver, for tests that control what a host name resolves to. */
export interface RepositoryAccessModuleOptions {
  lookup?: HostLookup;
}

/** Provides the one {@link RepositoryAccess} policy to every module, and says at start-up what it allows. */
@Global()
@Module({})
export class RepositoryAccessModule implements OnApplicationBootstrap {
  static forRoot(options: RepositoryAccessModuleOptions = {}): DynamicModule {
    return {
      module: RepositoryAccessModule,
      providers: [
        { provide: RepositoryAccess, inject: [APP_CONFIG], useFactory: (config: AppConfig) => repositoryAccessOf(config, options.lookup) },
      ],
      exports: [RepositoryAccess],
    };
  }

  constructor(
    private readonly access: RepositoryAccess,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.access.mode === 'none') {
      this.logger.warn(
        { host: this.config.host },
        `HOST ${this.config.host} is not loopback and REPO_ALLOW is empty: every job's repository will be refused (repo_not_allowed). ` +
          'Set REPO_ALLOW to the server path prefixes and URL patterns jobs may use, e.g. REPO_ALLOW=/srv/repos,https://github.com/acme/*',
      );
    } else {
      this.logger.info({ mode: this.access.mode, allowed: this.access.describe() }, 'repositories jobs may use');
    }
  }
}
