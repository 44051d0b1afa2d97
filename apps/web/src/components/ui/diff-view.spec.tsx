import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DiffView, parseDiff } from './diff-view';

const DIFF = `diff --git a/src/calc.js b/src/calc.js
index 1111111..2222222 100644
--- a/src/calc.js
+++ b/src/calc.js
@@ -8,4 +8,4 @@ function add(a, b) {
 
 function subtract(a, b) {
-  return a + b;
+  return a - b;
 }
diff --git a/src/new.js b/src/new.js
new file mode 100644
--- /dev/null
+++ b/src/new.js
@@ -0,0 +1,2 @@
+export const x = 1;
+export const y = 2;
`;

describe('DiffView', () => {
  it('numbers old and new lines from the hunk headers and counts additions and deletions per file', () => {
    const [calc, added] = parseDiff(DIFF);
    expect(calc).toMatchObject({ oldPath: 'src/calc.js', newPath: 'src/calc.js', additions: 1, deletions: 1 });
    expect(calc.lines.find((l) => l.kind === 'del')).toMatchObject({ text: '  return a + b;', oldNo: 10 });
    expect(calc.lines.find((l) => l.kind === 'add')).toMatchObject({ text: '  return a - b;', newNo: 10 });
    expect(added).toMatchObject({ newPath: 'src/new.js', additions: 2, deletions: 0 });
  });

  it('shows each file with its removed and added lines', () => {
    render(<DiffView diff={DIFF} />);
    const table = screen.getByRole('table', { name: 'Changes in src/calc.js' });
    expect(within(table).getByText('removed:').closest('tr')?.textContent).toContain('return a + b;');
    expect(within(table).getByText('added:').closest('tr')?.textContent).toContain('return a - b;');
    expect(screen.getByRole('table', { name: 'Changes in src/new.js' })).toBeTruthy();
  });

  it('reads removed and added lines that begin with -- or ++ (SQL and Lua comments, counters) as lines, not file headers', () => {
    const sql = [
      'diff --git a/db/schema.sql b/db/schema.sql',
      'index 1111111..2222222 100644',
      '--- a/db/schema.sql',
      '+++ b/db/schema.sql',
      '@@ -1,3 +1,3 @@',
      ' CREATE TABLE t (id int);',
      '--- old comment',
      '+++ counter',
      ' SELECT 1;',
      'diff --git a/README.md b/README.md',
      '--- a/README.md',
      '+++ b/README.md',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    const files = parseDiff(sql);
    expect(files.map((f) => f.newPath)).toEqual(['db/schema.sql', 'README.md']);
    expect(files[0]).toMatchObject({ additions: 1, deletions: 1 });
    expect(files[0].lines.find((l) => l.kind === 'del')).toMatchObject({ text: '-- old comment', oldNo: 2 });
    expect(files[0].lines.find((l) => l.kind === 'add')).toMatchObject({ text: '++ counter', newNo: 2 });
  });

  it('says so when the job changed nothing', () => {
    render(<DiffView diff="" />);
    expect(screen.getByText('No changes.')).toBeTruthy();
  });
});
