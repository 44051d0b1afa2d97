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

/** Parses a unified diff (git format) into files with numbered lines. */
export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      file = { oldPath: m?.[1] ?? '', newPath: m?.[2] ?? '', additions: 0, deletions: 0, lines: [] };
      files.push(file);
      continue;
    }
    if (!file) continue;
    if (line.startsWith('--- ')) {
      if (line !== '--- /dev/null') file.oldPath = line.slice(4).replace(/^a\//, '');
      continue;
    }
    if (line.startsWith('+++ ')) {
      if (line !== '+++ /dev/null') file.newPath = line.slice(4).replace(/^b\//, '');
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      file.lines.push({ kind: 'hunk', text: line });
    } else if (line.startsWith('+')) {
      file.additions++;
      file.lines.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
    } else if (line.startsWith('-')) {
      file.deletions++;
      file.lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
    } else if (line.startsWith(' ')) {
      file.lines.push({ kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    } else if (line.startsWith('\\')) {
      file.lines.push({ kind: 'meta', text: line });
    } else if (file.lines.length === 0 && line) {
      file.lines.push({ kind: 'meta', text: line });
    }
  }
  return files;
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
