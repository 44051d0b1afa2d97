import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import {
  AccessScope,
  APP_CONFIG,
  AppConfig,
  DomainException,
  hasScope,
  JobCaps,
  JobMode,
  redactSecrets,
  RepositoryAccess,
} from '@app/common';
import { EventsService } from '@app/events';
import { LedgerActor, LedgerService } from '@app/ledger';
import { Job, JobDelegation } from '../entities/job.entity';
import { IntakeResult, JOB_INTAKE, JobIntake } from '../intake/job-intake';
import { JOB_ROLES, REQUESTABLE_ROLES, UNREVIEWED_ROLES, isHandledRole } from '../job-roles';
import { JobTransitions } from '../job-transitions.service';
import { jobFromRow } from '../job-row';
import { JobsErrorCode } from '../jobs.errors';

/** A validated request to create a job, from any channel. */
export interface CreateJobCommand {
  goal: string;
  repo: string;
  baseRef?: string;
  mode?: JobMode;
  role?: string;
  priority?: number;
  caps?: Partial<JobCaps>;
  /** The most this channel's jobs may use (webhooks): defaults are lowered to it, and a request above it is refused. */
  capCeiling?: JobCaps;
  maxAttempts?: number;
  conversationId?: string;
  parentJobId?: string;
  traceId?: string;
  source: 'api' | 'chat' | 'cli' | 'webhook' | 'system';
  untrusted?: boolean;
  actor: LedgerActor;
  /** The caller's token scopes; undefined when access control is off or the service itself asks. */
  scopes?: readonly AccessScope[];
  /** What intake already understood of this very goal and repository (chat reads before it routes). */
  understood?: IntakeResult;
  /** The chat Coordinator is creating it for a person's message (recorded on the job and in the ledger). */
  delegation?: JobDelegation;
}

/** Understands the request (intake seam), resolves caps, and queues the job with its first ledger entry. */
@Injectable()
export class CreateJobUseCase {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(JOB_INTAKE) private readonly intake: JobIntake,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transitions: JobTransitions,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly repositories: RepositoryAccess,
  ) {}

  async execute(request: CreateJobCommand): Promise<Job> {
    // Cheap refusals first: nothing is read, parsed or paid for on behalf of a request that cannot run.
    this.checkRole(request);
    this.repositories.assertAllowed(request.repo);
    // A secret pasted into a goal must not reach the model, the ledger or any response.
    const command = { ...request, goal: redactSecrets(request.goal) };
    const understood =
      request.understood ??
      (await this.intake.understand({
        goal: command.goal,
        repo: command.repo,
        baseRef: command.baseRef,
        mode: command.mode,
        source: command.source,
      }));
    const mode = command.mode ?? understood.mode;
    const caps = this.resolveCaps(mode, command.caps ?? {}, command.capCeiling);

    return this.dataSource.transaction(async (manager) => {
      if (command.conversationId) {
        const [found] = await manager.query('SELECT 1 FROM conversations WHERE id = $1', [command.conversationId]);
        if (!found)
          throw new DomainException(
            JobsErrorCode.ConversationNotFound,
            `Conversation ${command.conversationId} does not exist`,
            undefined,
            'validation',
          );
      }
      let traceId = command.traceId ?? randomUUID();
      if (command.parentJobId) {
        const parent = await manager.getRepository(Job).findOne({ where: { id: command.parentJobId } });
        if (!parent) throw new DomainException(JobsErrorCode.ParentNotFound, `Parent job ${command.parentJobId} does not exist`);
        traceId = command.traceId ?? parent.traceId;
      }
      const job = manager.getRepository(Job).create({
        goal: command.goal,
        repo: command.repo,
        baseRef: command.baseRef ?? null,
        mode,
        role: command.role ?? 'coordinator',
        parentJobId: command.parentJobId ?? null,
        traceId,
        conversationId: command.conversationId ?? null,
        source: command.source,
        delegation: command.delegation ?? null,
        untrusted: command.untrusted ?? false,
        status: 'queued',
        priority: command.priority ?? 0,
        attempts: 0,
        maxAttempts: command.maxAttempts ?? this.config.jobs.defaultMaxAttempts,
        ...caps,
        intent: understood.intent ?? null,
        intentLogline: understood.intentLogline ?? null,
        usedTokens: understood.usage?.tokens ?? 0,
        usedCostCents: understood.usage?.costCents ?? 0,
      });
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(Job)
        .values(job as QueryDeepPartialEntity<Job>)
        .returning('*')
        .execute();
      const created = jobFromRow(this.dataSource, inserted.raw[0]);
      await this.transitions.record(manager, [
        {
          job: created,
          from: null,
          to: 'queued',
          actor: command.actor,
          reason: 'created',
          data: {
            goal: command.goal,
            repo: command.repo,
            mode,
            role: created.role,
            source: command.source,
            untrusted: created.untrusted,
            caps,
            ...(command.delegation ? { delegation: command.delegation } : {}),
          },
        },
      ]);
      if (understood.records?.length) {
        await this.ledger.append(
          manager,
          understood.records.map((r) => ({
            ...r,
            actor: 'system' as const,
            jobId: created.id,
            traceId,
            conversationId: created.conversationId,
          })),
        );
      }
      if (understood.events?.length) {
        // The transition holds the events lock until this commits.
        await this.events.recordLocked(
          manager,
          understood.events.map((e) => ({ ...e, jobId: created.id, traceId, conversationId: created.conversationId })),
        );
      }
      return created;
    });
  }

  private checkRole(request: CreateJobCommand): void {
    const role = request.role ?? 'coordinator';
    if (!isHandledRole(role)) {
      throw new DomainException(
        JobsErrorCode.RoleNotHandled,
        `No handler works jobs of role ${role}; use one of ${REQUESTABLE_ROLES.join(', ')}`,
        {
          role,
          allowed: REQUESTABLE_ROLES,
        },
      );
    }
    if (!JOB_ROLES[role].reviewed && request.scopes && !hasScope(request.scopes, 'admin')) {
      throw new DomainException(
        JobsErrorCode.RoleRequiresAdmin,
        `A ${role} job skips the Planner, the Reviewer, the quality gate and the TruthPack, so it needs a token with the admin scope; leave role out (coordinator) to have the change reviewed`,
        { role, required: 'admin', unreviewedRoles: UNREVIEWED_ROLES },
      );
    }
  }

  private resolveCaps(mode: JobMode, requested: Partial<JobCaps>, ceiling?: JobCaps): JobCaps {
    const lower = (caps: JobCaps): JobCaps =>
      ceiling
        ? {
            maxSteps: Math.min(caps.maxSteps, ceiling.maxSteps),
            maxTokens: Math.min(caps.maxTokens, ceiling.maxTokens),
            maxCostCents: Math.min(caps.maxCostCents, ceiling.maxCostCents),
            maxWallMs: Math.min(caps.maxWallMs, ceiling.maxWallMs),
          }
        : caps;
    const defaults = lower(this.config.jobs.modeCaps[mode]);
    const max = lower(this.config.jobs.maxCaps);
    const caps: JobCaps = {
      maxSteps: requested.maxSteps ?? defaults.maxSteps,
      maxTokens: requested.maxTokens ?? defaults.maxTokens,
      maxCostCents: requested.maxCostCents ?? defaults.maxCostCents,
      maxWallMs: requested.maxWallMs ?? defaults.maxWallMs,
    };
    const over = (Object.keys(caps) as (keyof JobCaps)[]).filter((key) => caps[key] > max[key]);
    if (over.length > 0) {
      throw new DomainException(
        JobsErrorCode.CapAboveMaximum,
        `Requested caps exceed the server maxima: ${over.map((k) => `${k} ${caps[k]} > ${max[k]}`).join(', ')}`,
        { problems: over.map((k) => ({ field: k, problems: [`${k} must not exceed ${max[k]}`] })) },
      );
    }
    return caps;
  }
}
