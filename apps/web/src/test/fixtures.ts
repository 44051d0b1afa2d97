import type { EventView, JobView } from '@/features/jobs/api/types';

let seq = 0;

/** A JobView as the server sends it, with overrides. */
export function aJob(overrides: Partial<JobView> = {}): JobView {
  const id = overrides.id ?? `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  return {
    id,
    goal: 'fix the subtract bug in src/calc.js',
    repo: '/srv/repos/calc',
    baseRef: null,
    mode: 'mechanic',
    role: 'coordinator',
    status: 'running',
    priority: 0,
    attempts: 1,
    maxAttempts: 3,
    run: 1,
    caps: { maxSteps: 40, maxTokens: 200000, maxCostCents: 100, maxWallMs: 600000 },
    usage: { steps: 10, tokens: 50000, costCents: 12, wallMs: 30000 },
    currentAction: 'builder: run_tests',
    intent: { operation: 'fix', targets: ['src/calc.js'], readOnly: false, confidence: 0.92 },
    intentLogline: null,
    pendingQuestion: null,
    lastResponse: null,
    result: null,
    branch: null,
    error: null,
    conversationId: null,
    parentJobId: null,
    traceId: '11111111-1111-4111-8111-111111111111',
    source: 'api',
    untrusted: false,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    links: { self: '', stream: '', events: '', ledger: '', diff: '', truthpack: '' },
    ...overrides,
  } as JobView;
}

/** An EventView with overrides. */
export function anEvent(jobId: string, id: number, overrides: Partial<EventView> = {}): EventView {
  return {
    id,
    jobId,
    traceId: null,
    conversationId: null,
    type: 'model_call',
    role: 'builder',
    summary: `event ${id}`,
    data: {},
    createdAt: new Date().toISOString(),
    ...overrides,
  } as EventView;
}
