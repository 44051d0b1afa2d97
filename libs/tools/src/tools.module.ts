import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig, RepositoryAccess } from '@app/common';
import { createRepositoryTools } from './create-tools';
import { Sandbox, SandboxOptions } from './sandbox/sandbox';
import { SandboxStatus } from './sandbox/sandbox-status';
import { SemanticIndexCache } from './search/semantic-index';
import { ToolRegistry } from './tool-registry';
import { WorkspaceManager } from './workspace/workspace-manager';

/** Options of {@link ToolsModule}; the sandbox mode mirrors a SANDBOX=none setting. */
export interface ToolsModuleOptions {
  sandbox?: SandboxOptions;
}

/** The repository tools, their sandbox and the job workspaces under `<dataDir>/workspaces`. */
@Module({})
export class ToolsModule {
  /** Sandbox settings from the service configuration (SANDBOX, SANDBOX_TIMEOUT_MS, ...). */
  static forRootAsync(): DynamicModule {
    return ToolsModule.build({
      provide: Sandbox,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new Sandbox({
          mode: config.sandbox.mode,
          timeoutMs: config.sandbox.timeoutMs,
          memoryBytes: config.sandbox.memoryMb * 1024 * 1024,
          maxProcesses: config.sandbox.maxProcesses,
          maxFileBytes: config.sandbox.maxFileMb * 1024 * 1024,
          diskBytes: config.sandbox.diskMb * 1024 * 1024,
          tmpBytes: config.sandbox.tmpMb * 1024 * 1024,
          uidPool: config.sandbox.uidPool,
          maxOutputBytes: config.sandbox.maxOutputBytes,
        }),
    });
  }

  static forRoot(options: ToolsModuleOptions = {}): DynamicModule {
    return ToolsModule.build({ provide: Sandbox, useValue: new Sandbox(options.sandbox) });
  }

  private static build(sandbox: Provider): DynamicModule {
    return {
      module: ToolsModule,
      providers: [
        sandbox,
        SandboxStatus,
        { provide: SemanticIndexCache, useValue: new SemanticIndexCache() },
        {
          provide: ToolRegistry,
          inject: [Sandbox, SemanticIndexCache],
          useFactory: (sandbox: Sandbox, semanticIndex: SemanticIndexCache) =>
            new ToolRegistry(createRepositoryTools({ sandbox, semanticIndex })),
        },
        {
          provide: WorkspaceManager,
          inject: [APP_CONFIG, RepositoryAccess],
          useFactory: (config: AppConfig, access: RepositoryAccess) => new WorkspaceManager({ dataDir: config.dataDir, access }),
        },
      ],
      exports: [Sandbox, SandboxStatus, SemanticIndexCache, ToolRegistry, WorkspaceManager],
    };
  }
}
