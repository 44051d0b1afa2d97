/** What a person can do after a job failed with this error code: the "Next step" of its failure message. */
export function nextStepAfter(code: string | null | undefined): string {
  switch (code) {
    case 'step_limit':
    case 'token_limit':
    case 'cost_limit':
    case 'time_limit':
      return 'retry it with a larger budget, or split the task';
    case 'model_not_configured':
      return 'set ANTHROPIC_API_KEY on the server and retry';
    case 'agent_stuck':
      return 'rephrase the task with more detail (file, function, expected behaviour) and retry';
    default:
      return 'look at the job timeline for the cause, then retry';
  }
}
