// The lint and format setup, checked on samples: ESLint (typescript-eslint, React hooks) with the repository's
// config, Prettier at 140 columns. `.ci/run` and the workflow run them over the whole tree (ci-workflow.spec.ts).
import { join } from 'node:path';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { ROOT } from './delivery-helpers';

const eslint = new ESLint({ cwd: ROOT });
const rules = async (code: string, file: string) =>
  (await eslint.lintText(code, { filePath: join(ROOT, file) }))[0].messages.map((m) => m.ruleId);

describe('lint and format', () => {
  it('refuses `any` and unused names in service code, and allows `any` for JSON answers in tests', { timeout: 60_000 }, async () => {
    const code = 'export function f(x: any): number {\n  const unused = 1;\n  return x.length;\n}\n';
    expect(await rules(code, 'libs/jobs/src/sample.ts')).toEqual(
      expect.arrayContaining(['@typescript-eslint/no-explicit-any', '@typescript-eslint/no-unused-vars']),
    );
    expect(await rules(code, 'test/e2e/sample.spec.ts')).toEqual(['@typescript-eslint/no-unused-vars']);
  });

  it("checks the dashboard's hooks", { timeout: 60_000 }, async () => {
    const code =
      "import { useState } from 'react';\nexport function C({ on }: { on: boolean }) {\n  if (on) {\n    const [v] = useState(0);\n    return v;\n  }\n  return 0;\n}\n";
    expect(await rules(code, 'apps/web/src/features/sample/c.tsx')).toContain('react-hooks/rules-of-hooks');
  });

  it('formats TypeScript at 140 columns with single quotes and trailing commas', async () => {
    const file = join(ROOT, 'libs/jobs/src/sample.ts');
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    expect(options.printWidth).toBe(140);
    const long = `export const x = call("${'a'.repeat(60)}", "${'b'.repeat(60)}", 3);\n`;
    const formatted = await prettier.format(long, options);
    expect(formatted.split('\n').every((line) => line.length <= 140)).toBe(true);
    expect(formatted).toContain(`'${'a'.repeat(60)}',`);
    expect(await prettier.check(formatted, options)).toBe(true);
    expect(await prettier.check(long, options)).toBe(false);
  });
});
