import { readFileSync } from 'node:fs';
import { startFakeModel, type FakeModel, type FakeModelOptions } from './fake-model-server';
import type { Scenario } from './scenario';

/** Parsed command line of the standalone fake model. */
export interface FakeModelCliArgs {
  options: FakeModelOptions;
  /** JSON files holding one scenario or an array of them (predicate matches are not expressible in JSON). */
  scenarioFiles: string[];
}

const USAGE = `usage: fake-model [--port N] [--host H] [--scenarios FILE.json]... [--require-api-key KEY] [--no-cache] [--lenient]`;

/** Parse `--port`, `--host`, `--scenarios` (repeatable), `--require-api-key`, `--no-cache`, `--lenient`. */
export function parseFakeModelArgs(argv: readonly string[]): FakeModelCliArgs {
  const options: FakeModelOptions = {};
  const scenarioFiles: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    switch (arg) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535\n${USAGE}`);
        options.port = port;
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--scenarios':
        scenarioFiles.push(value());
        break;
      case '--require-api-key':
        options.requireApiKey = value();
        break;
      case '--no-cache':
        options.cache = false;
        break;
      case '--lenient':
        options.strict = false;
        break;
      default:
        throw new Error(`unknown argument ${String(arg)}\n${USAGE}`);
    }
  }
  return { options, scenarioFiles };
}

/** Read scenarios from a JSON file holding one scenario object or an array of them. */
export function loadScenarioFile(path: string): Scenario[] {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const item of list) {
    const match = (item as { match?: unknown } | null)?.match;
    if (typeof match !== 'object' || match === null) throw new Error(`${path}: every scenario needs a "match" object`);
  }
  return list as Scenario[];
}

/**
 * Start the fake from command-line arguments, print `{"url": ...}` on stdout, and close it on
 * SIGINT/SIGTERM. Returns the running server; the caller decides when the process exits.
 */
export async function runFakeModelCli(argv: readonly string[]): Promise<FakeModel> {
  const { options, scenarioFiles } = parseFakeModelArgs(argv);
  const fake = await startFakeModel(options);
  for (const file of scenarioFiles) {
    for (const scenario of loadScenarioFile(file)) fake.addScenario(scenario);
  }
  process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port })}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return fake;
}
