/** errno codes of a full disk or an exhausted quota. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
/** How a child process (git, a test runner) reports the same on stderr. */
const DISK_FULL_MESSAGE = /No space left on device|Disk quota exceeded/i;

/**
 * True when `error` (or its `cause`) says the disk is full: a Node fs error, or a command whose
 * message carries the system's wording. Not the job's fault and not fixable by an agent.
 */
export function isDiskFull(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && DISK_FULL_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && DISK_FULL_MESSAGE.test(e.message)) return true;
  return isDiskFull(e.cause, depth + 1);
}
