export * from './team.module';
export { AgentSession } from './agent-session';
export { JobArtifactsRepository } from './job-artifacts.repository';
export { WorkspaceJanitor } from './workspace-janitor';
