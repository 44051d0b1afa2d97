import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, ClientRequest, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { ServiceProcess, launchService } from '../support/processes';

/** A job the recording worker runs (its `coordinator` handler): a no-op that records its execution. */
export const noopJob = (i: number) => ({ goal: `fix the bug in src/noop${i}.ts`, repo: '/srv/noop', mode: 'mechanic' });

/** Processes started for one test file on one database, stopped together. */
export class Stack {
  readonly processes: ServiceProcess[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly databaseUrl: string) {}

  /** Starts a server (or, with `recording`, a recording worker) on the stack's database and waits until it is ready. */
  async start(env: Record<string, string>, options: { recording?: boolean } = {}): Promise<ServiceProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'aict-load-'));
    this.dirs.push(dataDir);
    const service = await launchService({
      env: { DATABASE_URL: this.databaseUrl, DATA_DIR: dataDir, ...env },
      recording: options.recording,
    });
    this.processes.push(service);
    await service.ready();
    return service;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.stop().catch(() => undefined)));
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn(0..total-1)` with at most `parallel` calls in flight. */
export async function inParallel(total: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, total) }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

/** The ledger's `job.status` entries grouped by target status, for the given jobs: how many jobs have n entries to each status. */
export async function statusEntriesPerJob(client: Client, jobIds: string[]): Promise<Map<string, Map<number, number>>> {
  const { rows } = await client.query<{ to: string; per_job: number; jobs: number }>(
    `SELECT "to", per_job, count(*)::int AS jobs FROM (
       SELECT j.id, s.to, count(l.seq)::int AS per_job
         FROM unnest($1::uuid[]) AS j(id)
         CROSS JOIN (VALUES ('queued'), ('running'), ('succeeded')) AS s("to")
         LEFT JOIN ledger l ON l.job_id = j.id AND l.kind = 'job.status' AND l.data->>'to' = s.to
        GROUP BY j.id, s.to) x
      GROUP BY "to", per_job`,
    [jobIds],
  );
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) out.set(r.to, (out.get(r.to) ?? new Map()).set(r.per_job, r.jobs));
  return out;
}

/** Resident memory of a process, from /proc (Linux), in MiB. */
export function rssMiB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** A quantile of unsorted samples. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/**
 * A lightweight SSE subscriber on node:http for load tests (a thousand fetch readers cost far more):
 * keeps the snapshot and the `id:` of every message after it, in arrival order.
 */
export class LightSseClient {
  snapshot: any;
  readonly ids: number[] = [];
  readonly names: string[] = [];
  status = 0;
  error?: string;
  ended = false;
  lastArrival = 0;
  private request?: ClientRequest;

  open(url: string, agent: Agent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
        this.status = res.statusCode ?? 0;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (block.startsWith(':')) continue;
            const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            if (name === 'snapshot') {
              this.snapshot = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
              resolve();
              continue;
            }
            const id = /^id: (\d+)$/m.exec(block)?.[1];
            this.names.push(name);
            if (id) this.ids.push(Number(id));
            this.lastArrival = performance.now();
          }
        });
        res.on('end', () => (this.ended = true));
        res.on('error', (error) => (this.error = error.message));
      });
      this.request.on('error', (error) => {
        this.error = error.message;
        reject(error);
      });
    });
  }

  close(): void {
    this.request?.destroy();
  }
}

/** Opens `count` subscribers in waves (thousands of SYNs at once overflow the listen backlog); resolves when each has its snapshot. */
export async function openSseClients(url: string, count: number, wave = 200): Promise<LightSseClient[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const clients: LightSseClient[] = [];
  for (let i = 0; i < count; i += wave) {
    const batch = Array.from({ length: Math.min(wave, count - i) }, () => new LightSseClient());
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.open(url, agent)));
  }
  return clients;
}

/** Established TCP connections whose local end is `port` on this machine (the server's side), from /proc (Linux). */
export function connectionsTo(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(hex) && state === '01') count++;
    }
  }
  return count;
}

/** The server's own account of its V8 heap in use (Prometheus `/metrics`), in MiB. */
export async function heapUsedMiB(base: string): Promise<number | null> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const bytes = /^aict_process_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return bytes ? Math.round(Number(bytes) / 104_857.6) / 10 : null;
}
