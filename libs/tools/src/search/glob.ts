/**
 * Compiles a glob (`*`, `**`, `?`, `[abc]`, `{a,b}`) to a regular expression over `/`-separated paths.
 * A pattern without `/` matches the file name in any directory.
 */
export function globToRegExp(pattern: string): RegExp {
  const anywhere = !pattern.includes('/');
  let source = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        source += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        source += '\\[';
      } else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) {
      source += '|';
    } else {
      source += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(anywhere ? `(?:^|/)${source}$` : `^${source.replace(/^\.\//, '')}$`);
}
