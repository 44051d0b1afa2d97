import { Allowance } from '@app/agents';
import { Job } from '@app/jobs';
import { PipelineState } from './pipeline-state';
import { taskPrompt } from './task-prompt';

/** The task an agent stage's role is given: the job, its share of the budget, the plan, and what the Reviewer asked for. */
export function stageTask(
  ps: PipelineState,
  job: Job,
  intent: { operation?: string; readOnly?: boolean; targets?: string[] },
  allowance: Allowance,
): string {
  const plan = ps.plan ? `\nThe plan (from the Planner):\n${JSON.stringify(ps.plan, null, 1)}` : '';
  const share = `Your share of that: at most ${allowance.steps} tool calls and ${allowance.tokens} tokens; the rest is for the roles after you.`;
  switch (ps.stage) {
    case 'plan':
      return taskPrompt(job, [
        share,
        intent.readOnly
          ? '\nThis is an analysis request: analyse, record your analysis, and list the recommended next steps as the plan. Do not change anything.'
          : '\nRecord your analysis, then write the plan the Builder will follow.',
      ]);
    case 'build': {
      const last = ps.reviews.at(-1);
      const review =
        ps.round > 0 && last
          ? `\nThe Reviewer requested changes:\n${JSON.stringify({ summary: last.summary, comments: last.comments ?? [] }, null, 1)}\nAddress every comment, run the tests again, and commit.`
          : '';
      return taskPrompt(job, [share, plan, review]);
    }
    case 'review':
      return intent.readOnly
        ? taskPrompt(job, [
            share,
            `\nReview the code this request names${intent.targets?.length ? ` (${intent.targets.join(', ')})` : ''} and submit your findings with submit_review.`,
          ])
        : taskPrompt(job, [
            share,
            plan,
            `\nReview round ${ps.round + 1}: review the change on the job branch (get_diff) against the task and the plan, then submit_review.`,
          ]);
    default:
      return taskPrompt(job);
  }
}
