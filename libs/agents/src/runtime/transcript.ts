import type Anthropic from '@anthropic-ai/sdk';
import type { ToolResult } from '@app/tools';

/** Most characters of one tool result kept in the transcript; the whole result is in the events. */
export const TRANSCRIPT_RESULT_LIMIT = 12_000;

/** Renders a tool result for the model, cutting the middle of very long output. */
export function renderToolResult(result: ToolResult<unknown>, limit = TRANSCRIPT_RESULT_LIMIT): { text: string; truncated: boolean } {
  const body = result.ok
    ? `${result.summary}\n${typeof result.data === 'string' ? result.data : JSON.stringify(result.data, null, 1)}`
    : `ERROR ${result.error.code}: ${result.error.message}${result.error.details === undefined ? '' : `\n${JSON.stringify(result.error.details)}`}`;
  if (body.length <= limit) return { text: body, truncated: false };
  const head = Math.floor(limit * 0.7);
  const tail = limit - head;
  const cut = body.length - head - tail;
  return {
    text: `${body.slice(0, head)}\n… [${cut} characters cut; narrow the request (line ranges, a path, a filter) to see them] …\n${body.slice(-tail)}`,
    truncated: true,
  };
}

/** The text blocks of an assistant message, joined. */
export function textOf(message: { content: ReadonlyArray<{ type: string }> }): string {
  return message.content
    .filter((b): b is Anthropic.TextBlockParam => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();
}

/** A short preview of a value for event summaries. */
export function preview(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
