import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsErrorCode } from '@app/agents';
import { Job } from '@app/jobs';
import { LedgerService } from '@app/ledger';
import { ProvenanceItem, TruthPackService } from '@app/provenance';
import { RenderedText, TDLN, TdlnEngine, renderedRef } from '@app/tdln';
import { detectProjectCommands } from '@app/tools';
import { JobContext, JobOutcome } from '@app/worker';
import { AgentSession } from './agent-session';
import { PipelineState } from './pipeline-state';
import { DomainException } from '@app/common';

/** The pipeline's stages after its agents: the TDLN quality gate, the final answer by TDLN-out, and the TruthPack sealed before publishing. */
@Injectable()
export class ClosingStages {
  constructor(
    private readonly truthpacks: TruthPackService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TDLN) private readonly tdln: TdlnEngine,
    private readonly ledger: LedgerService,
  ) {}

  /** The TDLN quality gate over the change, the tests, the budget used and the answer; the verdict is audited and emitted. */
  async qualityGate(ctx: JobContext, session: AgentSession, ps: PipelineState, readOnly: boolean) {
    const job = ctx.job;
    const [usage] = await this.dataSource.query('SELECT used_steps, used_tokens, used_cost_cents FROM jobs WHERE id = $1', [job.id]);
    const read: string[] = (
      await this.dataSource.query(
        `SELECT DISTINCT data->'input'->>'path' AS path FROM events WHERE job_id = $1 AND type = 'tool_call' AND data->>'tool' = 'read_file' AND data->>'ok' = 'true'`,
        [job.id],
      )
    ).map((r: { path: string }) => r.path);
    const tests = session.state.lastTestRun;
    const lint = session.state.lastLint;
    // Counted on what will be published (the commits), not on what the tools said they did.
    const change = await session.change();
    const answer = readOnly ? String(ps.analysis?.summary ?? ps.reviews.at(-1)?.summary ?? '') : (ps.builderSummary ?? '');
    const verdict = this.tdln.checkQuality(
      {
        tests: { ran: !!tests, passed: tests?.passedCount ?? 0, failed: tests?.failed ?? 0 },
        lint: {
          ran: !!lint,
          errors: lint?.diagnostics.filter((d) => d.severity === 'error').length ?? 0,
          // A repository without a linter has nothing to run: "not configured", not "lint did not run".
          notConfigured: !lint && !this.lintConfigured(session),
        },
        change: { files: change.files.length, lines: change.added + change.removed },
        budget: {
          steps: Number(usage.used_steps) / job.maxSteps,
          tokens: Number(usage.used_tokens) / job.maxTokens,
          cost: Number(usage.used_cost_cents) / job.maxCostCents,
        },
        finalAnswer: answer || 'No summary.',
        evidence: { touched: change.files, read },
        readOnly,
        addedLines: change.addedLines,
      },
      job.mode,
    );
    ps.quality = verdict as never;
    await session.audit('coordinator', [
      {
        kind: 'quality.verdict',
        summary: `quality ${verdict.verdict} (${verdict.score}/100)`,
        data: {
          verdict: verdict.verdict,
          score: verdict.score,
          failing: verdict.failing,
          checks: verdict.checks as never,
          unverifiedPaths: verdict.unverifiedPaths,
        },
      },
    ]);
    await ctx.emit([
      {
        type: 'quality',
        role: 'coordinator',
        summary: `quality ${verdict.verdict} (${verdict.score}/100)${verdict.failing.length ? `: ${verdict.failing.join(', ')}` : ''}`,
        data: verdict as never,
      },
    ]);
    return verdict;
  }

  private lintConfigured(session: AgentSession): boolean {
    try {
      return !!detectProjectCommands(session.workspace.root).lint?.length;
    } catch {
      return true;
    }
  }

  /**
   * The answer's summary in words the evidence bears out: the role's own summary, unless the quality
   * gate found it claims what the test runs contradict — then it is attributed to its author, with
   * what the runs measured, instead of being repeated as fact.
   */
  private summaryOf(ps: PipelineState, tests: { passedCount?: number; failed: number } | undefined): string {
    const own = ps.builderSummary || String(ps.analysis?.summary ?? ps.reviews.at(-1)?.summary ?? 'done');
    const contradicted = ((ps.quality as { failing?: string[] } | undefined)?.failing ?? []).includes('claimed_tests');
    if (!contradicted || !ps.builderSummary) return own;
    const measured = tests ? `${tests.failed} failed, ${tests.passedCount ?? 0} passed` : 'no test run is recorded';
    return `the Builder wrote “${own}”, but the test run says otherwise (${measured})`;
  }

  /** The final answer, rendered by TDLN-out from what the job did. */
  async render(ctx: JobContext, session: AgentSession, ps: PipelineState): Promise<NonNullable<PipelineState['answer']>> {
    const job = ctx.job;
    const files = await this.fileStats(session);
    const tests = session.state.lastTestRun;
    const data = {
      job: { id: job.id, title: job.goal },
      summary: this.summaryOf(ps, tests),
      files,
      tests: { ran: !!tests, passed: tests?.passedCount ?? 0, failed: tests?.failed ?? 0 },
      // The commit gets the TruthPack root as a trailer after this, which changes its id: the answer names the branch instead.
      commit: null,
    };
    let rendered: RenderedText;
    try {
      rendered = this.tdln.text('job_succeeded', data);
    } catch (error) {
      throw new DomainException(AgentsErrorCode.NoResult, `The final answer could not be rendered: ${(error as Error).message}`);
    }
    await session.audit('coordinator', [
      {
        kind: 'answer.rendered',
        summary: 'final answer rendered (tdln-out job_succeeded)',
        data: { text: rendered.text, citations: rendered.citations, template: renderedRef(rendered) as never },
      },
    ]);
    return { text: rendered.text, citations: rendered.citations, templateId: rendered.templateId, evidence: rendered.evidence };
  }

  /** Lines added and removed per changed file, against the base, in what will be published. */
  private async fileStats(session: AgentSession): Promise<{ path: string; added: number; removed: number }[]> {
    if (session.state.lastCommit)
      return (await session.workspace.committedChanges()).map(({ path, added, removed }) => ({ path, added, removed }));
    const base = session.workspace.info.baseSha;
    const out = (await session.workspace.git(['diff', '--numstat', base])).stdout.trim();
    return out
      ? out.split('\n').map((line) => {
          const [added, removed, ...path] = line.split('\t');
          return { path: path.join('\t'), added: Number(added) || 0, removed: Number(removed) || 0 };
        })
      : [];
  }

  /**
   * Seals the provenance: the items' root goes into the commit as a trailer first (the tree, and so the
   * patch, is unchanged), then the statement binding the pack to the job and to that very commit is
   * signed. Then publishes and ends the job.
   */
  async seal(ctx: JobContext, session: AgentSession, ps: PipelineState, readOnly: boolean): Promise<JobOutcome> {
    const job = ctx.job;
    // The sealed patch is the diff of the commits the branch carries: what is pushed is what is sealed.
    const patch = await session.publishedPatch();
    const items = await this.provenance(job, ps, patch, session);
    const root = this.truthpacks.rootOf(items);
    if (session.state.lastCommit && !readOnly) {
      const message = (await session.workspace.git(['log', '-1', '--format=%B'])).stdout.trimEnd();
      await session.workspace.git(['commit', '--amend', '--quiet', '--no-verify', '-m', `${message}\nAICT-TruthPack: ${root}`]);
      session.state.recordCommit((await session.workspace.head()).trim());
    }
    const sealed = await this.truthpacks.seal(job, items, {
      baseCommit: session.workspace.info.baseSha,
      headCommit: (await session.workspace.head()).trim(),
    });
    await session.audit('coordinator', [
      {
        kind: 'truthpack.sealed',
        summary: `TruthPack ${sealed.root.slice(0, 16)}… over ${sealed.size} items, signed by key ${sealed.keyId}`,
        data: {
          root: sealed.root,
          size: sealed.size,
          publicKey: sealed.publicKey,
          keyId: sealed.keyId,
          baseCommit: sealed.statement.baseCommit,
          headCommit: sealed.statement.headCommit,
        },
      },
    ]);
    const published = readOnly ? null : await session.publish();
    const result = {
      summary: ps.answer?.text ?? ps.builderSummary ?? '',
      answer: ps.answer ?? null,
      analysis: ps.analysis ?? null,
      plan: ps.plan ?? null,
      reviews: ps.reviews,
      quality: ps.quality ?? null,
      truthpack: { root: sealed.root, size: sealed.size, keyId: sealed.keyId },
      branch: published?.branch ?? null,
      commit: published?.commit ?? null,
      pushed: published?.pushed ?? false,
      filesChanged: (await session.change()).files,
      tests: session.state.lastTestRun ?? null,
    };
    if (published?.dirty && !published.noCommit) {
      // A failed job's outcome says it failed: the answer rendered for success is not its answer.
      const failed = this.tdln.text('job_failed', {
        job: { id: job.id },
        reason: 'the change was left uncommitted (tests were not green after the last edit)',
        next_step: 'Retry the job, or fix the tests on the job branch and commit.',
      });
      const answer = { text: failed.text, citations: failed.citations, templateId: failed.templateId, evidence: failed.evidence };
      return {
        status: 'failed',
        code: 'uncommitted_changes',
        message: 'The change was left uncommitted (tests were not green after the last edit)',
        result: { ...result, summary: failed.text, answer },
      };
    }
    return { status: 'succeeded', result };
  }

  /** The provenance items of a job, each a leaf of its TruthPack. */
  private async provenance(job: Job, ps: PipelineState, patch: string, session: AgentSession): Promise<ProvenanceItem[]> {
    const decisions = await this.ledger.ofJob(job.id, { kind: 'policy.decision' });
    const calls: { role: string | null; data: Record<string, unknown> }[] = await this.dataSource.query(
      `SELECT role, data FROM events WHERE job_id = $1 AND type = 'tool_call' ORDER BY id`,
      [job.id],
    );
    return [
      // Where the intent came from (grammar rule and grammar hash, or model, request id and prompt hash) is sealed with it.
      {
        kind: 'intent',
        goal: job.goal,
        repo: job.repo,
        source: (job.intent as { source?: unknown } | null)?.source ?? null,
        intent: job.intent ?? null,
        logline: job.intentLogline ?? null,
      },
      ...decisions.map((d) => ({ kind: 'policy_decision', summary: d.summary, decision: d.data })),
      ...(ps.analysis ? [{ kind: 'analysis', analysis: ps.analysis }] : []),
      ...(ps.plan ? [{ kind: 'plan', plan: ps.plan }] : []),
      ...calls.map((c) => ({
        kind: 'tool_call',
        tool: c.data.tool,
        input: c.data.input ?? null,
        ok: c.data.ok,
        result: c.data.result ?? null,
        // The agent that made the call (planner, builder, reviewer...).
        role: c.role,
      })),
      ...ps.reviews.map((review) => ({ kind: 'review', review })),
      { kind: 'patch', diff: patch },
      { kind: 'tests', lastRun: session.state.lastTestRun ?? null },
      { kind: 'quality', verdict: ps.quality ?? null },
      { kind: 'answer', text: ps.answer?.text ?? '', citations: ps.answer?.citations ?? [] },
    ];
  }
}
