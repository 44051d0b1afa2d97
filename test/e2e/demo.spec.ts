import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port';

describe('npm run demo', () => {
  it('replays a whole job offline on the bundled sample repository and says it is a replay', async () => {
    const env: Record<string, string> = { PATH: process.env.PATH!, DEMO_PG_PORT: String(await freePort()) };
    const child = spawn(process.execPath, [resolve(__dirname, '../../scripts/demo.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, output.slice(-3_000)).toBe(0);
    expect(output).toContain('REPLAY');
    expect(output).toMatch(/result.*: succeeded/);
    expect(output).toContain('+  return a - b;');
    expect(output).toMatch(/ledger.*: chain verified/);
  }, 120_000);
});
