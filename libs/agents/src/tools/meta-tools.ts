import { ToolDefinition, ok } from '@app/tools';

/** Where the meta tools put what the agents record (events, ledger, the job's pipeline state). */
export interface MetaRecorder {
  record(kind: 'analysis' | 'plan' | 'final_answer' | 'review', data: Record<string, unknown>): Promise<void>;
}

const stringList = (description: string) => ({ type: 'array' as const, description, items: { type: 'string' as const, maxLength: 500 } });

/** The meta tools (analysis, plan, questions, review requests, the final answer) bound to one job's recorder. */
export function metaTools(recorder: MetaRecorder): ToolDefinition[] {
  return [
    {
      name: 'record_analysis',
      description:
        'Record your analysis of the task: root cause or scope, the files affected, the risk, and the evidence (file and lines) you based it on.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['summary', 'affectedFiles', 'risk'],
        properties: {
          summary: { type: 'string', maxLength: 4_000 },
          rootCause: { type: 'string', maxLength: 4_000 },
          affectedFiles: stringList('Workspace-relative paths'),
          risk: { type: 'string', enum: ['low', 'medium', 'high'] },
          evidence: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: { path: { type: 'string' }, lines: { type: 'string' }, note: { type: 'string', maxLength: 1_000 } },
            },
          },
        },
      },
      run: async (input: Record<string, unknown>) => {
        await recorder.record('analysis', input);
        return ok({ recorded: true }, 'Analysis recorded.');
      },
    },
    {
      name: 'create_plan',
      description:
        'Write the step plan the Builder will follow: ordered steps, each with the files it touches, and how the change will be tested.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['steps'],
        properties: {
          steps: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['title'],
              properties: {
                title: { type: 'string', maxLength: 500 },
                files: stringList('Files this step touches'),
                detail: { type: 'string', maxLength: 4_000 },
              },
            },
          },
          testStrategy: { type: 'string', maxLength: 2_000 },
        },
      },
      run: async (input: Record<string, unknown>) => {
        await recorder.record('plan', input);
        return ok({ recorded: true, steps: (input.steps as unknown[]).length }, 'Plan recorded.');
      },
    },
    {
      name: 'submit_review',
      description: 'Submit your review of the change: approve it, or request changes with concrete comments the Builder can act on.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['verdict', 'summary'],
        properties: {
          verdict: { type: 'string', enum: ['approve', 'request_changes'] },
          summary: { type: 'string', minLength: 1, maxLength: 4_000 },
          comments: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['comment'],
              properties: { path: { type: 'string' }, line: { type: 'integer' }, comment: { type: 'string', maxLength: 2_000 } },
            },
          },
        },
      },
      run: async (input: Record<string, unknown>) => {
        await recorder.record('review', input);
        return ok({ recorded: true, verdict: input.verdict }, `Review recorded: ${String(input.verdict)}.`);
      },
    },
    {
      name: 'request_human_review',
      description:
        'Stop and ask a person to approve something, or to clarify the request, before you go on. The job waits until they answer.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['question'],
        properties: {
          question: { type: 'string', minLength: 1, maxLength: 4_000 },
          kind: {
            type: 'string',
            enum: ['approval', 'question'],
            description: 'approval (default): approve or reject; question: a free-text answer',
          },
        },
      },
      run: async (input: { question: string; kind?: 'approval' | 'question' }) =>
        ok({ question: input.question, kind: input.kind ?? 'approval' }, 'Waiting for a person.'),
    },
    {
      name: 'ask_user',
      description: 'Ask the person who made the request a clarifying question. The job waits until they answer.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['question'],
        properties: { question: { type: 'string', minLength: 1, maxLength: 4_000 }, options: stringList('Suggested answers') },
      },
      run: async (input: { question: string }) => ok({ question: input.question, kind: 'question' }, 'Waiting for the user.'),
    },
    {
      name: 'format_response',
      description:
        'Give the final answer for the user: a summary, the files changed, the tests run and any next steps. Only claim what tool results showed.',
      risk: 'safe',
      mutating: false,
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['summary'],
        properties: {
          summary: { type: 'string', minLength: 1, maxLength: 8_000 },
          filesChanged: stringList('Workspace-relative paths changed'),
          testsRun: { type: 'string', maxLength: 2_000 },
          nextSteps: { type: 'string', maxLength: 2_000 },
        },
      },
      run: async (input: Record<string, unknown>) => {
        await recorder.record('final_answer', input);
        return ok({ recorded: true }, 'Final answer recorded.');
      },
    },
  ];
}
