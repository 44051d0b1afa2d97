import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, DomainException, escalations } from '@app/common';
import {
  CAP_OF_CODE,
  EscalateJobUseCase,
  EscalationChange,
  EscalationTrigger,
  Job,
  PendingQuestion,
  RespondAction,
  describeCap,
  escalationOptions,
} from '@app/jobs';
import { JobContext } from '@app/worker';

/** What a job does about an escalation: continue in genius mode now, ask a person, or nothing (the cap ends it). */
export type EscalationDecision = { kind: 'auto'; change: EscalationChange } | { kind: 'ask'; question: PendingQuestion } | { kind: 'none' };

/**
 * ESCALATION, applied: a mechanic job that reaches a cap (its own, or a role's share of it), or
 * whose Reviewer sends the Builder back a second time, continues in genius mode (`auto`, within the
 * server maxima, recorded in the ledger) or asks a person to choose genius mode or a higher cap
 * (`ask`; a genius job at a cap below the server maximum is asked about the cap alone). `off`, or
 * nothing to escalate to, lets the cap end the job as before.
 */
@Injectable()
export class EscalationPolicy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly escalate: EscalateJobUseCase,
  ) {}

  /** The trigger of a cap a run reached. */
  static capTrigger(error: DomainException): EscalationTrigger {
    const details = (error.details ?? {}) as { role?: string };
    return {
      kind: 'cap',
      code: error.code,
      cap: CAP_OF_CODE[error.code],
      ...(details.role ? { role: details.role } : {}),
      message: error.message,
    };
  }

  async decide(ctx: JobContext, trigger: EscalationTrigger): Promise<EscalationDecision> {
    const mode = this.config.pipeline.escalation;
    if (mode === 'off') return { kind: 'none' };
    const { job } = ctx;
    const options = escalationOptions(job, trigger, this.config);
    if (mode === 'auto') {
      if (!options.genius) return { kind: 'none' };
      const change = await this.escalate.execute({ jobId: job.id, workerId: ctx.workerId, trigger });
      return change ? { kind: 'auto', change } : { kind: 'none' };
    }
    if (!options.genius && !options.raise) return { kind: 'none' };
    const question = this.question(job, trigger, options);
    await ctx.emit([
      {
        type: 'escalation',
        summary: `escalation asked (${trigger.code ?? trigger.kind}): ${question.options?.join(' or ')}`,
        data: { action: 'asked', trigger: trigger as never, options: options as never },
      },
    ]);
    escalations.inc({ trigger: trigger.kind, action: 'asked' });
    return { kind: 'ask', question };
  }

  private question(job: Job, trigger: EscalationTrigger, options: ReturnType<typeof escalationOptions>): PendingQuestion {
    const actions: RespondAction[] = [];
    const offers: string[] = [];
    if (options.genius) {
      const caps = options.genius.caps;
      actions.push('escalate');
      offers.push(
        `continue in genius mode (${this.config.model.models.genius}; caps ${describeCap('maxSteps', caps.maxSteps)}, ${describeCap('maxTokens', caps.maxTokens)}, ${describeCap('maxCostCents', caps.maxCostCents)}, ${describeCap('maxWallMs', caps.maxWallMs)})`,
      );
    }
    if (options.raise) {
      actions.push('raise_cap');
      offers.push(`raise the cap to ${describeCap(options.raise.cap, options.raise.suggested)}`);
    }
    actions.push('reject');
    const what =
      trigger.kind === 'review'
        ? trigger.message
        : `Job ${job.id} reached a cap in ${job.mode} mode: ${trigger.message}. It stopped there and resumes from that point.`;
    return {
      kind: 'escalation',
      askedBy: trigger.kind === 'review' ? 'reviewer' : 'budget',
      question: `${what} ${capitalise(offers.join(', or '))}? Reject stops the job.`,
      options: offers,
      actions,
      data: { trigger: trigger as never, genius: options.genius as never, raise: options.raise as never },
    };
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
