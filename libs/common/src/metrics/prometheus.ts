import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry. Counters and histograms count what this process did (each
 * replica exposes its own, as Prometheus expects); gauges of shared state (queue depth, jobs by
 * status) are read from the database at scrape time by the metrics lib.
 */
export const prometheus = new Registry();
collectDefaultMetrics({ register: prometheus, prefix: 'aict_process_' });

export const modelCalls = new Counter({
  name: 'aict_model_calls_total',
  help: 'Model calls made',
  labelNames: ['mode', 'role', 'model'] as const,
  registers: [prometheus],
});
export const modelCallSeconds = new Histogram({
  name: 'aict_model_call_duration_seconds',
  help: 'Latency of model calls (including retries)',
  labelNames: ['mode', 'role'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [prometheus],
});
export const modelTokens = new Counter({
  name: 'aict_model_tokens_total',
  help: 'Tokens used by model calls',
  labelNames: ['mode', 'kind'] as const,
  registers: [prometheus],
});
export const modelCostCents = new Counter({
  name: 'aict_model_cost_cents_total',
  help: 'Cost of model calls in US cents',
  labelNames: ['mode'] as const,
  registers: [prometheus],
});
export const toolCalls = new Counter({
  name: 'aict_tool_calls_total',
  help: 'Tool calls made',
  labelNames: ['tool', 'outcome'] as const,
  registers: [prometheus],
});
export const toolCallSeconds = new Histogram({
  name: 'aict_tool_call_duration_seconds',
  help: 'Duration of tool calls',
  labelNames: ['tool'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
  registers: [prometheus],
});
export const jobRunsEnded = new Counter({
  name: 'aict_job_runs_ended_total',
  help: 'Job runs ended by this worker, by outcome',
  labelNames: ['mode', 'status'] as const,
  registers: [prometheus],
});
export const jobRunSeconds = new Histogram({
  name: 'aict_job_run_duration_seconds',
  help: 'Wall time of job runs on this worker',
  labelNames: ['mode', 'status'] as const,
  buckets: [0.01, 0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 14400],
  registers: [prometheus],
});
export const intakeRequests = new Counter({
  name: 'aict_intake_requests_total',
  help: 'Requests read at intake, by what understood them and what became of them',
  labelNames: ['source', 'outcome'] as const,
  registers: [prometheus],
});
export const intakeSeconds = new Histogram({
  name: 'aict_intake_duration_seconds',
  help: 'Time to understand and judge a request, by path (grammar alone, or grammar then model)',
  labelNames: ['path'] as const,
  buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
  registers: [prometheus],
});
export const escalations = new Counter({
  name: 'aict_escalations_total',
  help: 'Jobs escalated: by what triggered it (cap, review) and what was done (auto, asked, escalate, raise_cap, retry)',
  labelNames: ['trigger', 'action'] as const,
  registers: [prometheus],
});
