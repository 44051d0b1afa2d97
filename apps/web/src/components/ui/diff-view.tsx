import { parsePatch, type StructuredPatch } from 'diff';
import { useMemo } from 'react';

export interface DiffLine {
  kind: 'add' | 'del' | 'ctx' | 'hunk' | 'meta';
  text: string;
  oldNo?: number;
  newNo?: number;
}

export interface DiffFile {
  oldPath: string;
  newPath: string;
  additions: number;
  deletions: number;
  lines: DiffLine[];
}

const unprefixed = (name: string | undefined) => (name && name !== '/dev/null' ? name.replace(/^[ab]\//, '') : '');

/**
 * Parses a unified diff (git format) into files with numbered lines, with jsdiff's parser: hunk lengths
 * decide what is a line, so a removed `-- comment` or an added `++ counter` is shown as the line it is.
 * A diff that does not parse is shown as its text.
 */
export function parseDiff(text: string): DiffFile[] {
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(text);
  } catch {
    return [
      {
        oldPath: '',
        newPath: '(unreadable diff)',
        additions: 0,
        deletions: 0,
        lines: text.split('\n').map((line) => ({ kind: 'meta', text: line })),
      },
    ];
  }
  return patches
    .filter((p) => p.oldFileName || p.newFileName)
    .map((p) => {
      const oldPath = unprefixed(p.oldFileName) || unprefixed(p.newFileName);
      const newPath = unprefixed(p.newFileName) || oldPath;
      const file: DiffFile = { oldPath, newPath, additions: 0, deletions: 0, lines: [] };
      if (p.isBinary) file.lines.push({ kind: 'meta', text: 'Binary file changed' });
      if (p.oldMode && p.newMode && p.oldMode !== p.newMode) file.lines.push({ kind: 'meta', text: `mode ${p.oldMode} → ${p.newMode}` });
      for (const hunk of p.hunks) {
        let oldNo = hunk.oldStart;
        let newNo = hunk.newStart;
        file.lines.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
        for (const line of hunk.lines) {
          if (line.startsWith('+')) {
            file.additions++;
            file.lines.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
          } else if (line.startsWith('-')) {
            file.deletions++;
            file.lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
          } else if (line.startsWith('\\')) {
            file.lines.push({ kind: 'meta', text: line });
          } else {
            file.lines.push({ kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
          }
        }
      }
      return file;
    });
}

/** A unified diff viewer: one table per file with old/new line numbers and +/- colouring. */
export function DiffView({ diff }: { diff: string }) {
  const files = useMemo(() => parseDiff(diff), [diff]);
  if (!diff.trim()) return <p className="muted">No changes.</p>;
  return (
    <div className="diff">
      {files.map((file, i) => (
        <details key={`${file.newPath}-${i}`} open className="diff-file">
          <summary>
            <span className="diff-path">{file.newPath === file.oldPath ? file.newPath : `${file.oldPath} → ${file.newPath}`}</span>
            <span className="diff-stat">
              <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
            </span>
          </summary>
          <div className="diff-scroll">
            <table className="diff-table" aria-label={`Changes in ${file.newPath}`}>
              <tbody>
                {file.lines.map((line, j) => (
                  <tr key={j} className={`diff-${line.kind}`}>
                    <td className="ln" aria-hidden="true">
                      {line.oldNo ?? ''}
                    </td>
                    <td className="ln" aria-hidden="true">
                      {line.newNo ?? ''}
                    </td>
                    <td className="sign" aria-hidden="true">
                      {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ''}
                    </td>
                    <td className="code">
                      {line.kind === 'add' ? (
                        <span className="sr-only">added: </span>
                      ) : line.kind === 'del' ? (
                        <span className="sr-only">removed: </span>
                      ) : null}
                      {line.text}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ))}
    </div>
  );
}
