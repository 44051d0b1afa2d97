import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { AgentCheckpoint, AgentsErrorCode, ModelGateway, modelSetupHint } from '@app/agents';
import { TDLN, TdlnEngine } from '@app/tdln';
import { SandboxStatus, ToolRegistry, WorkspaceManager } from '@app/tools';
import { JobContext, JobOutcome } from '@app/worker';
import { AgentSession, sandboxUnavailable } from './agent-session';
import { JobArtifactsRepository } from './job-artifacts.repository';

/** What every team handler does before its agents work: checks that the job can start here, then opens its session. */
@Injectable()
export class JobSessions {
  constructor(
    private readonly model: ModelGateway,
    private readonly workspaces: WorkspaceManager,
    private readonly repositoryTools: ToolRegistry,
    private readonly artifacts: JobArtifactsRepository,
    private readonly sandbox: SandboxStatus,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** How a job ends at once when it cannot start on this worker (no model configured, or a change and no sandbox to test it), else null. */
  async refusal(readOnly: boolean): Promise<JobOutcome | null> {
    if (!this.model.configured) {
      return {
        status: 'failed',
        code: AgentsErrorCode.ModelNotConfigured,
        message: `No model is configured: ${modelSetupHint(this.model.providerName)}`,
      };
    }
    return sandboxUnavailable(this.sandbox, readOnly);
  }

  /** Opens the job's session: its workspace reopened, or made exactly what the checkpoint saw. */
  open(ctx: JobContext, checkpoint?: AgentCheckpoint): Promise<AgentSession> {
    const deps = {
      workspaces: this.workspaces,
      repositoryTools: this.repositoryTools,
      artifacts: this.artifacts,
      tdln: this.tdln,
      pushRemote: this.config.workspaces.pushRemote,
    };
    return AgentSession.open(deps, ctx, checkpoint);
  }
}
