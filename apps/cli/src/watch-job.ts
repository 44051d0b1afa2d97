import type { Schemas } from '@app/api-client';
import { Api, CliError, StreamMessage } from './cli-api';

/** Exit codes of `aict watch` (and `submit --watch`) by how the job ended. */
export const WATCH_EXIT: Record<string, number> = { succeeded: 0, failed: 1, aborted: 2, waiting_human: 3 };

const RECONNECTS = 5;

type JobView = Schemas['JobView'];

const clock = (iso?: string) => (iso ? new Date(iso).toISOString().slice(11, 19) : new Date().toISOString().slice(11, 19));

/**
 * Follows a job's live stream, printing events as they come, until it ends or waits for a person;
 * returns the exit code for its status. A dropped stream is resumed from the last event id.
 */
export async function watchJob(client: Api, jobId: string, print: (line: string) => void, json: boolean): Promise<number> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt <= RECONNECTS; attempt++) {
    const path = `/api/jobs/${encodeURIComponent(jobId)}/stream${lastId ? `?lastEventId=${encodeURIComponent(lastId)}` : ''}`;
    const outcome = await client.stream(path, (message: StreamMessage) => {
      if (message.id) lastId = message.id;
      if (json) print(JSON.stringify({ event: message.event, id: message.id, data: message.data }));
      if (message.event === 'snapshot') {
        const job = message.data as JobView;
        if (!json && attempt === 0)
          print(`job ${job.id} · ${job.mode ?? ''} · ${job.status}${job.goal ? `\n  ${job.goal.split('\n')[0]}` : ''}`);
        if (job.status in WATCH_EXIT) return job.status;
      } else if (message.event === 'event') {
        const event = message.data as { type: string; role?: string | null; summary?: string; createdAt?: string };
        if (!json)
          print(
            `${clock(event.createdAt)}  ${event.role ? `${event.role} ` : ''}${event.type}${event.summary ? `: ${event.summary}` : ''}`,
          );
      } else if (message.event === 'status') {
        const event = message.data as { data?: { to?: string; from?: string }; summary?: string; createdAt?: string };
        const to = event.data?.to ?? '';
        if (!json)
          print(`${clock(event.createdAt)}  status ${event.data?.from ?? '?'} → ${to}${event.summary ? ` (${event.summary})` : ''}`);
        if (to in WATCH_EXIT) return to;
      } else if (message.event === 'complete') {
        return 'complete';
      }
      return undefined;
    });
    if (outcome !== undefined) {
      const job = await client.call(client.client.GET('/api/jobs/{id}', { params: { path: { id: jobId } } }));
      if (!json) {
        const detail = job.error?.code ? ` — ${job.error.code}${job.error.message ? `: ${job.error.message}` : ''}` : '';
        print(`job ${job.id} ${job.status === 'waiting_human' ? 'waits for a person (aict respond)' : job.status}${detail}`);
      }
      if (job.status in WATCH_EXIT) return WATCH_EXIT[job.status];
    }
  }
  throw new CliError(`the stream of job ${jobId} kept dropping; run aict watch ${jobId} again`);
}
