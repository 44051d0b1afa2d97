import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import {
  ApiErrors,
  ApiEventStream,
  Principal,
  RequestActor,
  RequestActorName,
  RequestIdentity,
  RequestIdentityInfo,
  RequestPrincipal,
  UuidParamPipe,
  errorResponseObject,
  parseLastEventId,
} from '@app/common';
import { EventStreamer } from '@app/events';
import { LedgerEntryView, LedgerService } from '@app/ledger';
import { JobsService } from './jobs.service';
import { CreateJobUseCase } from './usecases/create-job.usecase';
import { CancelJobUseCase } from './usecases/cancel-job.usecase';
import { RetryJobUseCase } from './usecases/retry-job.usecase';
import { RespondJobUseCase } from './usecases/respond-job.usecase';
import { CreateJobRequest, JobChildView, JobPage, JobView, ListJobsQuery, RespondJobRequest, RetryJobRequest } from './dto/jobs.dto';
import { REQUESTABLE_ROLES } from './job-roles';
import { isTerminal } from './job-status';

@ApiTags('jobs')
@Controller('api/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly createJob: CreateJobUseCase,
    private readonly cancelJob: CancelJobUseCase,
    private readonly retryJob: RetryJobUseCase,
    private readonly respondJob: RespondJobUseCase,
    private readonly ledger: LedgerService,
    private readonly streamer: EventStreamer,
  ) {}

  @Post()
  @ApiErrors(403, 422)
  @ApiOperation({
    operationId: 'createJob',
    summary: 'Understand, policy-check and queue a coding task',
    description:
      'Refusals before a job exists: 400 repo_not_allowed when REPO_ALLOW (or its default) does not allow the repository, with the reason, what is allowed and how to allow it; 403 role_requires_admin for a role that skips review without an admin token; 403 policy_blocked; 422 unparseable_request or model_intent_invalid; 503 model_unavailable.',
  })
  @ApiCreatedResponse({ type: JobView })
  async create(
    @Body() body: CreateJobRequest,
    @RequestActor() actor: RequestActorName,
    @Principal() principal: RequestPrincipal | undefined,
  ): Promise<JobView> {
    const { maxSteps, maxTokens, maxCostCents, maxWallMs, ...rest } = body;
    const job = await this.createJob.execute({
      ...rest,
      caps: { maxSteps, maxTokens, maxCostCents, maxWallMs },
      source: 'api',
      actor,
      scopes: principal?.scopes,
    });
    return JobView.of(job);
  }

  @Get()
  @ApiOperation({
    operationId: 'listJobs',
    summary: 'Jobs, newest first, filtered by status, mode, conversation or role',
    description: 'Without a role filter, only the jobs a request can start: internal jobs (evaluations) are shown on their parent job.',
  })
  @ApiOkResponse({ type: JobPage })
  async list(@Query() query: ListJobsQuery): Promise<JobPage> {
    const page = await this.jobs.list({ ...query, roles: query.role ? undefined : REQUESTABLE_ROLES, limit: query.limit ?? 50 });
    return { items: page.items.map(JobView.of), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'getJob',
    summary: 'One job: usage against caps, current action, intent, result, internal jobs started for it',
  })
  @ApiOkResponse({ type: JobView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<JobView> {
    const [job, children] = await Promise.all([this.jobs.get(id), this.jobs.childrenOf(id)]);
    return Object.assign(JobView.of(job), { children: children.map(JobChildView.of) });
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiErrors(404, 409)
  @ApiOperation({ operationId: 'cancelJob', summary: 'Cancel: queued and waiting jobs at once, running jobs cooperatively' })
  @ApiOkResponse({ type: JobView })
  async cancel(@Param('id', UuidParamPipe) id: string, @RequestActor() actor: RequestActorName): Promise<JobView> {
    return JobView.of(await this.cancelJob.execute({ jobId: id, actor }));
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiErrors(404, 409)
  @ApiOperation({
    operationId: 'retryJob',
    summary: 'Put a failed or aborted job back in the queue, optionally in genius mode or with other caps',
    description:
      'The optional body gives the retry a mode and caps (within the server maxima: 400 cap_above_maximum above them). A job that stopped at a cap ' +
      '(step_limit, token_limit, cost_limit, time_limit) and is given room above it — genius mode, or a higher value of that cap — continues from ' +
      'its checkpoint with what it used so far still counted; any other retry starts over with a fresh budget.',
  })
  @ApiBody({ type: RetryJobRequest, required: false })
  @ApiOkResponse({ type: JobView })
  async retry(
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RetryJobRequest,
    @RequestActor() actor: RequestActorName,
  ): Promise<JobView> {
    const { mode, maxSteps, maxTokens, maxCostCents, maxWallMs } = body;
    return JobView.of(await this.retryJob.execute({ jobId: id, actor, mode, caps: { maxSteps, maxTokens, maxCostCents, maxWallMs } }));
  }

  @Post(':id/respond')
  @HttpCode(200)
  @ApiErrors(404, 409)
  @ApiOperation({
    operationId: 'respondToJob',
    summary: 'Approve, reject, answer or escalate a job that waits for a person',
    description:
      'An approval (pendingQuestion.kind `approval`) takes `approve` or `reject`; a question (`question`) takes `answer` or `reject`; ' +
      'an escalation (`escalation`: a cap reached, or the Reviewer sending the Builder back a second time) takes the choices it offers — ' +
      '`escalate` (continue in genius mode), `raise_cap` (with maxSteps, maxTokens, maxCostCents or maxWallMs; without them, the ' +
      'suggested raise of the cap it reached) — or `reject` (pendingQuestion.actions lists them). The job then resumes from its ' +
      'checkpoint. Any other action is 400 `invalid_response`, which names the actions the question takes and changes nothing; a ' +
      'raise that does not raise the cap it reached is 400 `cap_not_raised`, one above the server maxima 400 `cap_above_maximum`. ' +
      'Who responded is recorded in the ledger entry and in the job’s lastResponse.',
  })
  @ApiResponse({
    status: 400,
    ...errorResponseObject(400),
    description:
      'Invalid request (details.problems lists every problem), or `invalid_response`: the action does not fit the pending question ' +
      '(details.allowed lists the actions it takes, details.question says what it asks); nothing was changed',
  })
  @ApiOkResponse({ type: JobView })
  async respond(
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RespondJobRequest,
    @RequestIdentity() who: RequestIdentityInfo,
  ): Promise<JobView> {
    const { actor, ...via } = who;
    const { action, answer, ...caps } = body;
    return JobView.of(await this.respondJob.execute({ jobId: id, action, answer, caps, actor, via: { channel: 'api', ...via } }));
  }

  @Get(':id/diff')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'getJobDiff',
    summary: 'The patch the job produced (unified diff against its base ref); while it waits for a person, the change it parked with',
  })
  @ApiProduces('text/x-diff')
  @ApiOkResponse({ description: 'text/x-diff; empty when the job changed nothing', schema: { type: 'string' } })
  async diff(@Param('id', UuidParamPipe) id: string, @Res() reply: FastifyReply): Promise<void> {
    const { patch, branch, pending } = await this.jobs.patchOf(id);
    await reply
      .header('content-type', 'text/x-diff; charset=utf-8')
      .header('x-aict-branch', branch ?? '')
      .header('x-aict-diff', pending ? 'pending' : 'published')
      .send(patch ?? '');
  }

  @Get(':id/ledger')
  @ApiErrors(404)
  @ApiOperation({ operationId: 'getJobLedger', summary: "The job's ledger entries, in chain order" })
  @ApiOkResponse({ type: [LedgerEntryView] })
  async ledgerOf(@Param('id', UuidParamPipe) id: string): Promise<LedgerEntryView[]> {
    await this.jobs.get(id);
    return (await this.ledger.forJob(id)).map(LedgerEntryView.of);
  }

  @Get(':id/stream')
  @ApiErrors(404)
  @ApiOperation({
    operationId: 'streamJob',
    summary: 'Live job stream (SSE): snapshot, then event and status messages, complete when it ends; Last-Event-ID resumes',
  })
  @ApiEventStream({
    description:
      'snapshot (the JobView), then event and status (EventView), complete ({ lastEventId }) when the job ends; error if the stream fails',
    events: ['snapshot', 'event', 'status', 'complete', 'error'],
  })
  async stream(
    @Param('id', UuidParamPipe) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('lastEventId') lastEventIdQuery: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const job = await this.jobs.get(id);
    await this.streamer.open(reply, {
      filter: { jobId: id },
      afterId: parseLastEventId(lastEventId) ?? parseLastEventId(lastEventIdQuery) ?? 0,
      snapshot: async () => JobView.of(await this.jobs.get(id)),
      isTerminal: (event) => isTerminal(event.data.to as never),
      terminalAtStart: isTerminal(job.status),
    });
  }
}
