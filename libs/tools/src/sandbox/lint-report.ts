/** One problem a linter reported. */
export interface LintDiagnostic {
  path: string;
  line: number;
  column?: number;
  severity: 'error' | 'warning';
  message: string;
  rule?: string;
}

const MAX_DIAGNOSTICS = 500;

/**
 * Reads `path:line:col: message (rule)` lines (gcc, ruff, go vet, eslint unix/compact) and eslint's
 * default "stylish" blocks (a path line, then `line:col  error  message  rule` lines).
 */
export function parseLintOutput(output: string, root?: string): LintDiagnostic[] {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\n/g, '\n');
  const diagnostics: LintDiagnostic[] = [];
  let stylishFile: string | undefined;
  for (const raw of text.split('\n')) {
    if (diagnostics.length >= MAX_DIAGNOSTICS) break;
    const line = raw.trimEnd();
    const unix = /^([^\s:][^:]*):(\d+)(?::(\d+))?:\s*(?:(error|warning|warn|note|info)[:\s]\s*)?(.+?)(?:\s+[([]([\w@/.-]+)[)\]])?$/i.exec(line);
    if (unix && !/^\s/.test(raw)) {
      diagnostics.push({
        path: relativeTo(unix[1], root),
        line: Number(unix[2]),
        ...(unix[3] && { column: Number(unix[3]) }),
        severity: /warn/i.test(unix[4] ?? '') ? 'warning' : 'error',
        message: unix[5],
        ...(unix[6] && { rule: unix[6] }),
      });
      stylishFile = undefined;
      continue;
    }
    const stylish = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}([\w@/.-]+))?$/.exec(line);
    if (stylish && stylishFile) {
      diagnostics.push({
        path: stylishFile,
        line: Number(stylish[1]),
        column: Number(stylish[2]),
        severity: stylish[3] as 'error' | 'warning',
        message: stylish[4],
        ...(stylish[5] && { rule: stylish[5] }),
      });
      continue;
    }
    if (/^\S.*\.\w+$/.test(line) && !line.includes(' ')) stylishFile = relativeTo(line, root);
  }
  return diagnostics;
}

function relativeTo(path: string, root: string | undefined): string {
  const clean = path.replace(/^\.\//, '');
  return root && clean.startsWith(`${root}/`) ? clean.slice(root.length + 1) : clean;
}
