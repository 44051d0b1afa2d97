import { JobMode } from '@app/common';
import { PolicyAction, TdlnEngine } from '@app/tdln';
import { ChangeAction, ChangeGate, GateDecision, ToolRunState } from '@app/tools';

/** Called with every decision the gate makes, so it can be written to the ledger and the events. */
export type DecisionSink = (action: ChangeAction, decision: GateDecision & { riskScore: number; policyHash: string }) => Promise<void>;

/**
 * The policy gate of the mutating tools: the TDLN policy, in the job's mode, over the proposed
 * change and the job's cumulative changes (files and lines so far), with "commit only after a
 * green test run later than the last edit".
 */
export class PolicyChangeGate implements ChangeGate {
  constructor(
    private readonly tdln: TdlnEngine,
    private readonly mode: JobMode,
    private readonly intent: { operation?: string; readOnly?: boolean; targets?: string[]; constraints?: { id: string }[] } | null,
    private readonly sink: DecisionSink,
    /** Rules a person approved for this job; shared by every gate of the job's run. */
    private readonly approved: Set<string> = new Set(),
  ) {}

  approve(rules: string[]): void {
    for (const rule of rules) this.approved.add(rule);
  }

  approvedRules(): string[] {
    return [...this.approved].sort();
  }

  async check(action: ChangeAction, state: ToolRunState): Promise<GateDecision> {
    // A whole tree (the staged commit) is judged path by path as git will write it; its totals are its own.
    const tree = action.files;
    const changes: PolicyAction[] = tree
      ? tree.map((f) => ({
          type: 'file_change',
          path: f.path,
          kind: f.kind,
          added: f.added,
          removed: f.removed,
          mode: f.mode,
          ...(f.linkTarget !== undefined && { linkTarget: f.linkTarget }),
          ...(f.definesTests && { definesTests: true }),
        }))
      : action.kind === 'commit'
        ? []
        : action.paths.map((path, i) => ({
            type: 'file_change',
            path,
            kind: action.kind === 'delete' ? 'delete' : action.kind === 'create' ? 'create' : 'edit',
            // The line counts are for the whole action; attribute them to its first path.
            added: i === 0 ? action.addedLines : 0,
            removed: i === 0 ? action.removedLines : 0,
          }));
    const actions: PolicyAction[] = action.kind === 'commit' ? [...changes, { type: 'commit' }] : changes;
    const intent = this.intent;
    const decision = this.tdln.evaluatePolicy({
      mode: this.mode,
      intent: intent
        ? {
            operation: intent.operation,
            readOnly: intent.readOnly,
            targets: intent.targets,
            constraints: (intent.constraints ?? []).map((c) => c.id).filter((id): id is string => typeof id === 'string'),
          }
        : undefined,
      actions,
      cumulative: tree
        ? { files: [], linesChanged: 0 }
        : { files: state.filesTouched, linesChanged: state.addedLines + state.removedLines },
      lastTestPassedAfterLastEdit: state.commitBlocker() === undefined,
      approvedRules: [...this.approved],
    });
    const result = {
      verdict: decision.verdict,
      violations: decision.violations.map((v) => ({ rule: v.ruleId, message: v.message, path: v.path ?? undefined })),
      remediation: decision.remediation.join(' ') || undefined,
      riskScore: decision.riskScore,
      policyHash: decision.policyHash,
    };
    await this.sink(action, result);
    return result;
  }
}
