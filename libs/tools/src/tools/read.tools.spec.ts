import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../sandbox/sandbox';
import { SemanticIndexCache } from '../search/semantic-index';
import { fixtureContext } from '../testing';
import { createToolRegistry } from '../create-tools';

describe('read tools on the shop-js fixture', () => {
  let f: Awaited<ReturnType<typeof fixtureContext>>;
  const semanticIndex = new SemanticIndexCache();
  const registry = createToolRegistry({ sandbox: new Sandbox({ mode: 'none' }), semanticIndex });
  const call = (name: string, input: unknown) => registry.run(name, input, f.ctx) as Promise<any>;

  beforeAll(async () => {
    f = await fixtureContext('shop-js');
    mkdirSync(join(f.workspace.root, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(f.workspace.root, 'node_modules/dep/index.js'), 'function computeInvoiceTotal() {}\n');
  });
  afterAll(() => f.dispose());

  it('read_file returns numbered lines and honours a line range', async () => {
    const all = await call('read_file', { path: 'src/billing/invoice.js' });
    expect(all.ok).toBe(true);
    expect(all.data.content.split('\n')[2]).toBe('3\tconst TAX_RATE = 0.2;');
    expect(all.data.totalLines).toBe(15);
    const range = await call('read_file', { path: 'src/billing/invoice.js', startLine: 6, endLine: 7 });
    expect(range.data.content).toBe(
      '6\tfunction computeInvoiceTotal(lines) {\n7\t  const net = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);',
    );
  });

  it('read_file reports a missing file and refuses paths outside the workspace', async () => {
    expect((await call('read_file', { path: 'src/nope.js' })).error.code).toBe('file_not_found');
    expect((await call('read_file', { path: '../origin/package.json' })).error.code).toBe('outside_workspace');
    expect((await call('read_file', { path: '/etc/passwd' })).error.code).toBe('outside_workspace');
    expect((await call('read_file', { path: '.git/config' })).error.code).toBe('outside_workspace');
    symlinkSync('/etc', join(f.workspace.root, 'etc'));
    try {
      expect((await call('read_file', { path: 'etc/passwd' })).error.code).toBe('outside_workspace');
    } finally {
      (await import('node:fs')).unlinkSync(join(f.workspace.root, 'etc'));
    }
  });

  it('read_file cuts an overlong line and counts lines of a file without a final newline', async () => {
    writeFileSync(join(f.workspace.root, 'long.txt'), `short\n${'x'.repeat(100_000)}\nlast`);
    const read = await call('read_file', { path: 'long.txt' });
    expect(read.data).toMatchObject({ totalLines: 3, startLine: 1, endLine: 3, truncated: false, cutLines: 1 });
    const lines = read.data.content.split('\n');
    expect(lines[1]).toMatch(/^2\tx{16384} … \[line cut: 100000 bytes in all\]$/);
    expect(lines[2]).toBe('3\tlast');
    expect((await call('read_file', { path: 'long.txt', startLine: 3 })).data).toMatchObject({
      startLine: 3,
      endLine: 3,
      content: '3\tlast',
    });
    expect((await call('read_file', { path: 'long.txt', startLine: 4 })).error.code).toBe('invalid_input');
    (await import('node:fs')).unlinkSync(join(f.workspace.root, 'long.txt'));
  });

  it('rejects input that does not match the schema, naming the field', async () => {
    const result = await call('read_file', { path: 'a.js', startLine: 'one' });
    expect(result.error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('`startLine` must be an integer') });
    expect((await call('read_file', {})).error.message).toContain('`path` is required');
  });

  it('refuses arguments that are not a JSON object, showing what the model sent and what to send instead', async () => {
    const result = await call('read_file', '{"path": "src/billing/invoice.js"');
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(result.error.message).toBe(
      'Invalid input for read_file: the arguments are not a JSON object (got "{\\"path\\": \\"src/billing/invoice.js\\""); call it again with a JSON object that matches its schema.',
    );
  });

  it('list_files lists the tree without .git and node_modules', async () => {
    const result = await call('list_files', { depth: 3 });
    expect(result.data.entries).toEqual([
      '.gitignore',
      'docs/',
      'package.json',
      'src/',
      'docs/README.md',
      'src/billing/',
      'src/users/',
      'src/billing/invoice.js',
      'src/users/password_hashing.js',
      'src/users/user_repository.js',
    ]);
    expect((await call('list_files', { path: 'src/users' })).data.entries).toEqual([
      'src/users/password_hashing.js',
      'src/users/user_repository.js',
    ]);
  });

  it('find_files matches globs by name anywhere or by path', async () => {
    expect((await call('find_files', { pattern: '*.js' })).data.files).toEqual([
      'src/billing/invoice.js',
      'src/users/password_hashing.js',
      'src/users/user_repository.js',
    ]);
    expect((await call('find_files', { pattern: 'src/**/user_*.js' })).data.files).toEqual(['src/users/user_repository.js']);
    expect((await call('find_files', { pattern: '{docs,src/billing}/*.{md,js}' })).data.files).toEqual([
      'docs/README.md',
      'src/billing/invoice.js',
    ]);
  });

  it('search_code finds regex matches with path and line, narrowed by glob and path', async () => {
    const result = await call('search_code', { query: 'function \\w+_password' });
    expect(result.data.matches.map((m: any) => `${m.path}:${m.line}`)).toEqual([
      'src/users/password_hashing.js:6',
      'src/users/password_hashing.js:12',
    ]);
    const inBilling = await call('search_code', { query: 'computeInvoiceTotal', path: 'src/billing' });
    expect(inBilling.data.matches.every((m: any) => m.path === 'src/billing/invoice.js')).toBe(true);
    expect(inBilling.data.matches).toHaveLength(2);
    expect((await call('search_code', { query: 'shop-js', glob: '*.md' })).data.matches.map((m: any) => m.path)).toEqual([
      'docs/README.md',
    ]);
    expect((await call('search_code', { query: 'zzz_not_there' })).data.matches).toEqual([]);
    expect((await call('search_code', { query: 'x', path: '../..' })).error.code).toBe('outside_workspace');
  });

  it('semantic_search ranks the chunk about the query first and rebuilds when files change', async () => {
    const hits = (await call('semantic_search', { query: 'hash a password with salt' })).data.hits;
    expect(hits[0].path).toBe('src/users/password_hashing.js');
    const byIdentifier = (await call('semantic_search', { query: 'find user by email' })).data.hits;
    expect(byIdentifier[0].path).toBe('src/users/user_repository.js');

    const first = await semanticIndex.indexFor(f.workspace);
    expect(first.rebuilt).toBe(false);
    writeFileSync(join(f.workspace.root, 'src/shipping.js'), 'function calculateShippingCost(parcelWeight) { return parcelWeight * 2; }\n');
    const top = (await call('semantic_search', { query: 'shipping cost for a parcel' })).data.hits[0];
    expect(top.path).toBe('src/shipping.js');
  });

  it('get_repo_state and get_diff show the job branch and its changes against the base, untracked files included', async () => {
    writeFileSync(join(f.workspace.root, 'docs/README.md'), '# shop-js\n\nChanged.\n');
    const state = await call('get_repo_state', {});
    expect(state.data).toMatchObject({ branch: 'aict/job-1', baseRef: 'main', ahead: 0, head: f.workspace.info.baseSha });
    expect(state.data.changedFiles).toEqual(
      expect.arrayContaining([
        { path: 'docs/README.md', status: 'M' },
        { path: 'src/shipping.js', status: 'A' },
      ]),
    );
    const diff = await call('get_diff', {});
    expect(diff.data.diff).toContain('+++ b/src/shipping.js');
    expect(diff.data.diff).toContain('+Changed.');
    expect(diff.data.files).toBe(2);
  });

  it('read_lints says when no lint has run and lists the parsed problems of the last run', async () => {
    expect((await call('read_lints', {})).data.ranAt).toBeNull();
    f.ctx.state.recordLint({
      exitCode: 1,
      timedOut: false,
      outputTail: '',
      diagnostics: [
        { path: 'src/a.js', line: 1, severity: 'error', message: 'bad' },
        { path: 'test/b.js', line: 2, severity: 'warning', message: 'meh' },
      ],
    });
    const forSrc = await call('read_lints', { path: 'src' });
    expect(forSrc.data.diagnostics).toEqual([{ path: 'src/a.js', line: 1, severity: 'error', message: 'bad' }]);
  });

  it('gives the Anthropic tools parameter for an allow-list', () => {
    const defs = registry.definitions(['read_file', 'edit_file']);
    expect(defs.map((d) => d.name)).toEqual(['read_file', 'edit_file']);
    expect(defs[0].input_schema).toMatchObject({ type: 'object', required: ['path'] });
  });
});
