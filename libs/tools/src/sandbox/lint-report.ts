import { stripVTControlCharacters } from 'node:util';

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
/** Lines are cut to this length before parsing (the output is untrusted). */
const MAX_LINE_CHARS = 4096;

/**
 * Reads `path:line:col: message (rule)` lines (gcc, ruff, go vet, eslint unix/compact) and eslint's
 * default "stylish" blocks (a path line, then `line:col  error  message  rule` lines).
 */
export function parseLintOutput(output: string, root?: string): LintDiagnostic[] {
  const text = stripVTControlCharacters(output).replace(/\r\n/g, '\n');
  const diagnostics: LintDiagnostic[] = [];
  let stylishFile: string | undefined;
  for (const whole of text.split('\n')) {
    if (diagnostics.length >= MAX_DIAGNOSTICS) break;
    const raw = whole.length > MAX_LINE_CHARS ? whole.slice(0, MAX_LINE_CHARS) : whole;
    const line = raw.trimEnd();
    const unix = /^([^\s:][^:]*):(\d+)(?::(\d+))?:[ \t]*(?:(error|warning|warn|note|info)[:\s][ \t]*)?(.+)$/i.exec(line);
    if (unix && !/^\s/.test(raw)) {
      const { message, rule } = splitRule(unix[5], /[ \t][([]([\w@/.-]+)[)\]]$/);
      diagnostics.push({
        path: relativeTo(unix[1], root),
        line: Number(unix[2]),
        ...(unix[3] && { column: Number(unix[3]) }),
        severity: /warn/i.test(unix[4] ?? '') ? 'warning' : 'error',
        message,
        ...(rule && { rule }),
      });
      stylishFile = undefined;
      continue;
    }
    const stylish = /^[ \t]+(\d+):(\d+)[ \t]+(error|warning)[ \t]+(.+)$/.exec(line);
    if (stylish && stylishFile) {
      const { message, rule } = splitRule(stylish[4], /[ \t]{2}([\w@/.-]+)$/);
      diagnostics.push({
        path: stylishFile,
        line: Number(stylish[1]),
        column: Number(stylish[2]),
        severity: stylish[3] as 'error' | 'warning',
        message,
        ...(rule && { rule }),
      });
      continue;
    }
    if (/^\S.*\.\w+$/.test(line) && !line.includes(' ')) stylishFile = relativeTo(line, root);
  }
  return diagnostics;
}

/** A message and the rule name at its end, found with a pattern anchored at the end (linear, unlike a lazy `(.+?)` before it). */
function splitRule(text: string, pattern: RegExp): { message: string; rule?: string } {
  const m = pattern.exec(text);
  const message = (m ? text.slice(0, m.index) : text).trimEnd();
  return m && message ? { message, rule: m[1] } : { message: text };
}

function relativeTo(path: string, root: string | undefined): string {
  const clean = path.replace(/^\.\//, '');
  return root && clean.startsWith(`${root}/`) ? clean.slice(root.length + 1) : clean;
}
