import { parsePatch } from 'diff';
import type { GitRun } from './git';

/** How git records a file in a tree. */
export type FileMode = 'regular' | 'executable' | 'symlink' | 'gitlink';

/** One path that differs between two trees, as git will write (or wrote) it. */
export interface TreeChange {
  path: string;
  kind: 'create' | 'edit' | 'delete';
  /** The mode after the change (before it, for a deletion). */
  mode: FileMode;
  /** Where a symlink points, as written in the link. */
  linkTarget?: string;
  /** The change alters what defines a green test run (package.json scripts, pytest settings). */
  definesTests?: boolean;
  added: number;
  removed: number;
}

type Git = (
  args: string[],
  options?: { env?: Record<string, string>; signal?: AbortSignal; stdin?: string; okCodes?: number[] },
) => Promise<GitRun>;

const MODES: Record<string, FileMode> = { '100644': 'regular', '100755': 'executable', '120000': 'symlink', '160000': 'gitlink' };

/**
 * The paths that differ from `base` to `target` (a commit, or the index when `target` is undefined), with
 * their modes read by git itself: renames as a deletion and a creation, submodules shown (never ignored),
 * symlink targets, and whether a change redefines the tests.
 */
export async function treeChanges(
  git: Git,
  base: string,
  target: string | undefined,
  options: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<TreeChange[]> {
  const range = target === undefined ? ['--cached', base] : [base, target];
  const common = ['diff', '--no-renames', '--ignore-submodules=none', '--no-ext-diff', '--no-textconv', '-z'];
  const [raw, numstat] = await Promise.all([
    git([...common, '--raw', ...range], options),
    git([...common, '--numstat', ...range], options),
  ]);
  const counts = new Map<string, { added: number; removed: number }>();
  const stat = numstat.stdout.split('\0');
  for (const entry of stat) {
    const [added, removed, ...rest] = entry.split('\t');
    if (!rest.length) continue;
    counts.set(rest.join('\t'), { added: Number(added) || 0, removed: Number(removed) || 0 });
  }
  const changes: TreeChange[] = [];
  const parts = raw.stdout.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(parts[i]);
    if (!meta) break;
    const [, oldMode, newMode, oldSha, newSha, status] = meta;
    const path = parts[i + 1];
    const kind = status === 'A' ? 'create' : status === 'D' ? 'delete' : 'edit';
    const mode = MODES[kind === 'delete' ? oldMode : newMode] ?? 'regular';
    const change: TreeChange = { path, kind, mode, ...(counts.get(path) ?? { added: 0, removed: 0 }) };
    if (mode === 'symlink' && kind !== 'delete') change.linkTarget = await blob(git, newSha, options);
    if (kind !== 'delete' && TEST_SETTINGS.some((s) => s.file.test(path))) {
      const before = kind === 'create' || MODES[oldMode] !== 'regular' ? '' : await blob(git, oldSha, options);
      const after = MODES[newMode] === 'regular' || MODES[newMode] === 'executable' ? await blob(git, newSha, options) : '';
      change.definesTests = definesTests(path, before, after);
    }
    changes.push(change);
  }
  return changes;
}

/** The added lines of a unified diff, read by a maintained parser (hunk lengths decide what is a line, not its first characters). */
export function addedLines(patch: string): string[] {
  if (!patch.trim()) return [];
  return parsePatch(patch).flatMap((file) =>
    file.hunks.flatMap((hunk) => hunk.lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1))),
  );
}

/** Settings inside a shared file that decide how the tests run. */
const TEST_SETTINGS: { file: RegExp; read: (text: string) => unknown }[] = [
  // npm runs the scripts; any of them may be the test command or run by it.
  { file: /(^|\/)package\.json$/, read: (text) => (parseJson(text) as { scripts?: unknown } | undefined)?.scripts ?? null },
  { file: /(^|\/)pyproject\.toml$/, read: (text) => section(text, /^\[tool\.(pytest|coverage|tox)[\].]/) },
  { file: /(^|\/)setup\.cfg$/, read: (text) => section(text, /^\[(tool:pytest|coverage:|tox)/) },
];

/** True when the settings that decide how the tests run differ between the two versions of a file. */
export function definesTests(path: string, before: string, after: string): boolean {
  const settings = TEST_SETTINGS.find((s) => s.file.test(path));
  if (!settings) return false;
  return JSON.stringify(settings.read(before)) !== JSON.stringify(settings.read(after));
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    // Unreadable now: treat it as changed (a broken manifest runs nothing as expected).
    return { unreadable: text };
  }
}

/** The lines of the INI/TOML sections whose header matches. */
function section(text: string, header: RegExp): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('[')) inside = header.test(trimmed);
    if (inside && trimmed && !trimmed.startsWith('#') && !trimmed.startsWith(';')) out.push(trimmed);
  }
  return out;
}

async function blob(git: Git, sha: string, options: { env?: Record<string, string>; signal?: AbortSignal }): Promise<string> {
  if (/^0+$/.test(sha)) return '';
  return (await git(['cat-file', 'blob', sha], { ...options, okCodes: [128] })).stdout;
}
