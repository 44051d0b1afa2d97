import type { ToolRunState } from './tool-run-state';
import type { TreeChange } from './workspace/tree-changes';

/** A change a mutating tool is about to make, as the policy gate sees it. */
export interface ChangeAction {
  kind: 'edit' | 'create' | 'delete' | 'rename' | 'commit';
  /** Paths relative to the workspace root. */
  paths: string[];
  addedLines: number;
  removedLines: number;
  /**
   * Every path the change leaves different from the base, as git writes it (modes, symlink targets),
   * when the tool knows the whole tree: a commit (the staged tree) and a lint fix. The gate then judges
   * these instead of `paths`, and its totals are the tree's, not the running count.
   */
  files?: TreeChange[];
}

/** One rule the change breaks. */
export interface GateViolation {
  rule: string;
  message: string;
  path?: string;
}

/** What the gate decided about a change. */
export interface GateDecision {
  verdict: 'allow' | 'warn' | 'require_approval' | 'block';
  violations: GateViolation[];
  remediation?: string;
}

/** The policy gate every mutating tool passes before it touches the workspace. */
export interface ChangeGate {
  check(action: ChangeAction, state: ToolRunState): Promise<GateDecision>;
  /** Records that a person approved these rules for the rest of the job (gates that support approvals). */
  approve?(rules: string[]): void;
  /** The rules approved so far, to checkpoint them. */
  approvedRules?(): string[];
}

/** A gate that allows everything (tests, and jobs that run without a policy). */
export class AllowAllGate implements ChangeGate {
  async check(): Promise<GateDecision> {
    return { verdict: 'allow', violations: [] };
  }
}
