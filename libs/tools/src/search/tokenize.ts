/**
 * Splits code text into search terms: identifiers lower-cased whole and split on camelCase,
 * snake_case, kebab-case and digits (`getUserById` → getuserbyid, get, user, by, id).
 */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.matchAll(/[A-Za-z_$][A-Za-z0-9_$]*|\d+/g)) {
    const word = match[0];
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .split(/[\s_$]+/)
      .map((p) => p.toLowerCase())
      .filter((p) => p.length > 1 || /\d/.test(p));
    const whole = word.toLowerCase().replace(/^[_$]+|[_$]+$/g, '');
    if (whole.length > 1) terms.push(whole);
    for (const part of parts) if (part !== whole) terms.push(part);
  }
  return terms;
}
