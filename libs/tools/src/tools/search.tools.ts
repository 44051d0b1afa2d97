import { fail, ok, ToolDefinition } from '../tool';
import { ToolsErrorCode } from '../tools.errors';
import type { SearchHit, SemanticIndexCache } from '../search/semantic-index';

export interface SearchCodeInput {
  query: string;
  path?: string;
  glob?: string;
  maxResults?: number;
}
export interface CodeMatch {
  path: string;
  line: number;
  text: string;
}
export interface SearchCodeOutput {
  matches: CodeMatch[];
  truncated: boolean;
}

let perlRegexSupported: boolean | undefined;

/** git grep prints whole lines; a repository with huge lines must not fill memory (head and tail kept). */
const MAX_GREP_OUTPUT_BYTES = 8 * 1024 * 1024;

/** `search_code`: regex search over the repository's files (tracked and untracked, not ignored). */
export const searchCodeTool: ToolDefinition<SearchCodeInput, SearchCodeOutput> = {
  name: 'search_code',
  description:
    'Search file contents with a regular expression (Perl-compatible when available, else POSIX extended). Returns "path:line: text" matches. ' +
    'Narrow with `path` (a directory or file) and/or `glob` (e.g. "*.ts").',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, description: 'Regular expression.' },
      path: { type: 'string', description: 'Directory or file to search in, relative to the repository root.' },
      glob: { type: 'string', description: 'Only files matching this glob, e.g. "*.py" or "src/**/*.ts".' },
      maxResults: { type: 'integer', minimum: 1, maximum: 500, description: 'Default 50.' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  risk: 'safe',
  mutating: false,
  async run(input, ctx) {
    const max = input.maxResults ?? 50;
    const pathspecs: string[] = [];
    if (input.path) {
      const relative = ctx.workspace.relative(ctx.workspace.resolve(input.path));
      if (relative !== '.') pathspecs.push(`:(top,literal)${relative}`);
    }
    if (input.glob) {
      if (input.glob.split('/').includes('..') || input.glob.startsWith('/')) {
        return fail(ToolsErrorCode.OutsideWorkspace, 'The glob must be relative to the repository root and must not contain "..".');
      }
      pathspecs.push(input.glob.includes('/') ? `:(top,glob)${input.glob}` : `:(top,glob)**/${input.glob}`);
    }
    pathspecs.push(':(exclude,glob)**/node_modules/**');
    perlRegexSupported ??=
      (await ctx.workspace.git(['grep', '-P', '-q', 'x', '--', ':(exclude)*'], { okCodes: [1, 128] }).catch(() => ({ exitCode: 128 })))
        .exitCode !== 128;
    const run = await ctx.workspace.git(
      ['grep', '--untracked', '-I', '-n', '-z', '--no-color', perlRegexSupported ? '-P' : '-E', '-e', input.query, '--', ...pathspecs],
      { okCodes: [1, 128], signal: ctx.signal, timeoutMs: 60_000, maxOutputBytes: MAX_GREP_OUTPUT_BYTES, truncatedOk: true },
    );
    if (run.exitCode === 128) return fail(ToolsErrorCode.InvalidInput, `git grep rejected the query: ${run.stderr.trim()}`);
    const matches: CodeMatch[] = [];
    let truncated = run.truncated;
    for (const line of run.stdout.split('\n')) {
      if (!line) continue;
      const [path, lineNo, ...rest] = line.split('\0');
      // Lines cut where an oversized output lost its middle are not matches.
      if (!rest.length || !/^\d+$/.test(lineNo ?? '')) continue;
      if (matches.length >= max) {
        truncated = true;
        break;
      }
      const text = rest.join('\0');
      matches.push({ path, line: Number(lineNo), text: text.length > 300 ? `${text.slice(0, 300)}…` : text });
    }
    return ok(
      { matches, truncated },
      matches.length
        ? `${matches.length} match(es)${truncated ? ` (first ${max}; narrow the search)` : ''}:\n${matches.map((m) => `${m.path}:${m.line}: ${m.text}`).join('\n')}`
        : `no matches for /${input.query}/`,
    );
  },
};

export interface SemanticSearchInput {
  query: string;
  maxResults?: number;
}
export interface SemanticSearchOutput {
  hits: SearchHit[];
}

/** `semantic_search`: BM25-ranked code chunks for a natural-language or identifier query. */
export function semanticSearchTool(cache: SemanticIndexCache): ToolDefinition<SemanticSearchInput, SemanticSearchOutput> {
  return {
    name: 'semantic_search',
    description:
      'Ranked retrieval over the repository code: describe what you look for in words or identifiers ("where are invoice totals computed", "hashPassword"). ' +
      'Returns the best matching ~40-line chunks with a snippet. Identifiers are split on camelCase and snake_case.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1 },
        maxResults: { type: 'integer', minimum: 1, maximum: 50, description: 'Default 10.' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    risk: 'safe',
    mutating: false,
    async run(input, ctx) {
      const { hits } = await cache.search(ctx.workspace, input.query, input.maxResults ?? 10, ctx.signal);
      return ok(
        { hits },
        hits.length
          ? hits.map((h) => `${h.path}:${h.startLine}-${h.endLine} (score ${h.score})`).join('\n')
          : `nothing relevant found for "${input.query}"`,
      );
    },
  };
}
