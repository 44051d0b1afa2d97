import type { Schemas } from '@app/api-client';
import { readFileSync } from 'node:fs';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { Api, CliError, EXIT_ERROR } from './cli-api';
import { loadSettings, saveSettings } from './cli-config';
import type * as TruthPackVerifier from './verify-truthpack';
import type * as LedgerVerifier from './verify-ledger';
import { WATCH_EXIT, watchJob } from './watch-job';

const env = process.env;
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const client = () => new Api(loadSettings(env));
const json = (value: unknown): void => out(JSON.stringify(value, null, 2));

type JobView = Schemas['JobView'];
type ParsePreview = Schemas['ParsePreviewView'];
type JobMode = Schemas['JobMode'];
type JobStatus = Schemas['JobStatus'];
type RespondAction = Schemas['RespondAction'];

const short = (text: string, width: number) => {
  const line = text.split('\n')[0];
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

function describePreview(view: ParsePreview): string {
  if (view.ok && view.intent) {
    const i = view.intent;
    const by = view.source === 'model' ? `the model (${i.source?.model ?? 'model'})` : `the grammar (rule ${i.source?.ruleId ?? '?'})`;
    return [
      `${i.operation}${i.targets.length ? ` on ${i.targets.join(', ')}` : ''} · ${i.mode}${i.readOnly ? ' · read-only' : ''}`,
      `  read by ${by} in ${view.latencyMs} ms; policy: ${view.policy?.verdict} (${view.policy?.riskLevel} risk)`,
    ].join('\n');
  }
  const r = view.refusal;
  const lines = [`not a job: ${r?.message ?? 'not understood'} (${r?.code ?? 'unparseable_request'})`];
  const details = (r?.details ?? {}) as { violations?: Schemas['PolicyViolationView'][]; suggestions?: string[] };
  for (const v of details.violations ?? view.policy?.violations ?? []) lines.push(`  ${v.ruleId}: ${v.message}`);
  for (const s of details.suggestions ?? view.abstain?.suggestions ?? []) lines.push(`  try: ${s}`);
  if (!view.modelAvailable && r?.code === 'unparseable_request') lines.push('  (no model is configured to read it instead)');
  return lines.join('\n');
}

function describeJob(job: JobView): string {
  return `job ${job.id} · ${job.status} · ${job.mode}\n  ${short(job.goal, 100)}\n  repo ${job.repo}`;
}

const program = new Command('aict')
  .description('AI Coding Team from the command line: submit and watch coding tasks, chat with the team, verify the ledger and TruthPacks.')
  .version('0.1.0')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nServer and token: aict login, or AICT_SERVER and AICT_TOKEN.\nExit codes of watch: 0 succeeded, 1 failed, 2 aborted, 3 waiting for a person; of truthpack verify: 0 verified, 1 invalid, 2 legacy, 3 no trusted key; 4 the command itself failed.',
  );

program
  .command('login')
  .description(
    "check a token against a server and store both, with the server's TruthPack key (pinned for aict truthpack verify), in ~/.config/aict/config.json (mode 0600)",
  )
  .requiredOption('--server <url>', 'server URL, e.g. http://localhost:3000')
  .requiredOption('--token <token>', 'access token (from the first-start login link or POST /api/tokens)')
  .option('--json', 'machine-readable output')
  .action(async (options: { server: string; token: string; json?: boolean }) => {
    const server = options.server.replace(/\/+$/, '');
    const api = new Api({ server, token: options.token });
    const session = await api.call(api.client.GET('/api/auth/session'));
    const key = await api.call(api.client.GET('/api/truthpacks/key'));
    const previous = loadSettings({ ...env, AICT_SERVER: server }).truthpackKey;
    const truthpackKey = { publicKey: key.publicKey, keyId: key.keyId };
    const file = saveSettings(env, { server, token: options.token, truthpackKey });
    if (options.json) return json({ server, file, ...session, truthpackKey });
    out(
      session.authEnabled
        ? `signed in to ${server} as ${session.prefix} (${session.scopes.join(', ')}); saved to ${file}`
        : `${server} runs without access control (AUTH=off); saved to ${file}`,
    );
    out(`pinned the server's TruthPack key ${key.keyId} (${key.publicKey})`);
    if (previous && previous.publicKey !== key.publicKey)
      out(
        `  it replaces the key pinned before, ${previous.keyId} (${previous.publicKey}): packs signed before a rotation verify with --public-key ${previous.publicKey}`,
      );
  });

program
  .command('submit')
  .description('submit a coding task')
  .argument('<goal>', 'what to do, in plain words')
  .requiredOption('--repo <repo>', 'repository: a server-side path or a git URL')
  .addOption(new Option('--mode <mode>', 'agent mode').choices(['mechanic', 'genius']))
  .option('--base-ref <ref>', 'branch, tag or commit to start from')
  .option('--priority <n>', 'higher runs first', (v) => Number.parseInt(v, 10))
  .option('--watch', 'follow the job live until it ends (exit code as for aict watch)')
  .option('--json', 'machine-readable output')
  .action(
    async (
      goal: string,
      options: { repo: string; mode?: JobMode; baseRef?: string; priority?: number; watch?: boolean; json?: boolean },
    ) => {
      const api = client();
      const job = await api.call(
        api.client.POST('/api/jobs', {
          body: { goal, repo: options.repo, mode: options.mode, baseRef: options.baseRef, priority: options.priority },
        }),
      );
      if (options.json) out(JSON.stringify(job));
      else out(`submitted ${describeJob(job)}`);
      if (options.watch) process.exitCode = await watchJob(api, job.id, out, !!options.json);
    },
  );

program
  .command('parse')
  .description('show how a task would be understood and judged, without submitting it (exit 0 when it would become a job, 1 when not)')
  .argument('<goal>', 'what to do, in plain words')
  .option('--repo <repo>', 'repository, so rephrasings and the model can name its files')
  .option('--model', 'ask the model too when the grammar cannot tell (a metered call)')
  .option('--json', 'machine-readable output')
  .action(async (goal: string, options: { repo?: string; model?: boolean; json?: boolean }) => {
    const api = client();
    const view = await api.call(
      api.client.POST('/api/tdln/parse', { body: { text: goal, repo: options.repo, useModel: options.model === true } }),
    );
    process.exitCode = view.ok ? 0 : 1;
    if (options.json) return json(view);
    out(describePreview(view));
  });

program
  .command('watch')
  .description('follow a job live; exits 0 succeeded, 1 failed, 2 aborted, 3 waiting for a person')
  .argument('<job>', 'job id')
  .option('--json', 'one JSON line per stream message')
  .action(async (jobId: string, options: { json?: boolean }) => {
    process.exitCode = await watchJob(client(), jobId, out, !!options.json);
  });

program
  .command('jobs')
  .description('list jobs, newest first')
  .addOption(
    new Option('--status <status>', 'only jobs in this status').choices([
      'queued',
      'running',
      'waiting_human',
      'cancelling',
      ...Object.keys(WATCH_EXIT).filter((s) => s !== 'waiting_human'),
    ]),
  )
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
  .option('--json', 'machine-readable output')
  .action(async (options: { status?: JobStatus; limit: number; json?: boolean }) => {
    const api = client();
    const page = await api.call(api.client.GET('/api/jobs', { params: { query: { limit: options.limit, status: options.status } } }));
    if (options.json) return json(page.items);
    if (page.items.length === 0) return out('no jobs');
    for (const job of page.items)
      out(
        `${job.id}  ${job.status.padEnd(13)} ${job.mode.padEnd(8)} ${job.createdAt.slice(0, 16).replace('T', ' ')}  ${short(job.goal, 60)}`,
      );
  });

program
  .command('cancel')
  .description('cancel a job')
  .argument('<job>', 'job id')
  .option('--json', 'machine-readable output')
  .action(async (jobId: string, options: { json?: boolean }) => {
    const api = client();
    const job = await api.call(api.client.POST('/api/jobs/{id}/cancel', { params: { path: { id: jobId } } }));
    if (options.json) return json(job);
    out(`job ${job.id} is ${job.status}`);
  });

/** Cap options of respond --raise-cap and retry. */
interface CapOptions {
  maxSteps?: number;
  maxTokens?: number;
  maxCostCents?: number;
  maxWallMs?: number;
}

const whole = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('not a whole number');
  return Number.parseInt(v, 10);
};

const withCapOptions = (command: Command): Command =>
  command
    .option('--max-steps <n>', 'cap on tool calls', whole)
    .option('--max-tokens <n>', 'cap on model tokens', whole)
    .option('--max-cost-cents <n>', 'cap on model cost in US cents', whole)
    .option('--max-wall-ms <n>', 'cap on wall time in milliseconds', whole);

const capsOf = (o: CapOptions): CapOptions =>
  Object.fromEntries(
    Object.entries({ maxSteps: o.maxSteps, maxTokens: o.maxTokens, maxCostCents: o.maxCostCents, maxWallMs: o.maxWallMs }).filter(
      ([, v]) => v !== undefined,
    ),
  );

withCapOptions(
  program
    .command('respond')
    .description('answer a job that waits for a person')
    .argument('<job>', 'job id')
    .option('--approve', 'approve what the job proposes')
    .option('--reject', 'reject it')
    .option('--answer <text>', 'answer its question')
    .option('--escalate', 'an escalation: continue in genius mode')
    .option('--raise-cap', 'an escalation: raise the cap it reached (to the --max-… given, or the suggested raise)'),
)
  .option('--json', 'machine-readable output')
  .action(
    async (
      jobId: string,
      options: CapOptions & {
        approve?: boolean;
        reject?: boolean;
        answer?: string;
        escalate?: boolean;
        raiseCap?: boolean;
        json?: boolean;
      },
    ) => {
      const chosen = [
        options.approve && 'approve',
        options.reject && 'reject',
        options.answer !== undefined && 'answer',
        options.escalate && 'escalate',
        options.raiseCap && 'raise_cap',
      ].filter(Boolean) as RespondAction[];
      if (chosen.length !== 1) throw new CliError('give exactly one of --approve, --reject, --answer <text>, --escalate or --raise-cap');
      const api = client();
      const job = await api.call(
        api.client.POST('/api/jobs/{id}/respond', {
          params: { path: { id: jobId } },
          body: { action: chosen[0], answer: options.answer, ...capsOf(options) },
        }),
      );
      if (options.json) return json(job);
      out(`job ${job.id} is ${job.status} · ${job.mode}`);
    },
  );

withCapOptions(
  program
    .command('retry')
    .description(
      'put a failed or aborted job back in the queue; with --genius or a higher cap, a job a cap stopped continues where it stopped',
    )
    .argument('<job>', 'job id')
    .option('--genius', 'retry in genius mode'),
)
  .option('--json', 'machine-readable output')
  .action(async (jobId: string, options: CapOptions & { genius?: boolean; json?: boolean }) => {
    const api = client();
    const job = await api.call(
      api.client.POST('/api/jobs/{id}/retry', {
        params: { path: { id: jobId } },
        body: { ...(options.genius ? { mode: 'genius' as const } : {}), ...capsOf(options) },
      }),
    );
    if (options.json) return json(job);
    out(`job ${job.id} is ${job.status} · ${job.mode}`);
  });

program
  .command('chat')
  .description('say something to the team and print its answer')
  .argument('<message>', 'your message')
  .option('--conversation <id>', 'continue this conversation')
  .option('--repo <repo>', 'default repository of a new conversation')
  .option('--timeout <seconds>', 'how long to wait for the answer', (v) => Number.parseInt(v, 10), 120)
  .option('--json', 'machine-readable output')
  .action(async (message: string, options: { conversation?: string; repo?: string; timeout: number; json?: boolean }) => {
    const api = client();
    const sent = await api.call(
      api.client.POST('/api/chat', { body: { message, conversationId: options.conversation, repo: options.repo } }),
    );
    type Message = Schemas['MessageView'];
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeout * 1_000);
    let answer: Message | undefined;
    try {
      answer = await api.stream<Message>(
        `/api/chat/stream?conversationId=${encodeURIComponent(sent.conversationId)}`,
        (m) => {
          if (m.event === 'snapshot') {
            // The answer may have come before the stream opened: it is then in the snapshot's history.
            const messages = ((m.data as { messages?: Message[] }).messages ?? []) as Message[];
            const mine = messages.findIndex((x) => x.id === sent.messageId);
            return mine >= 0 ? messages.slice(mine + 1).find((x) => x.role === 'assistant') : undefined;
          }
          if (m.event === 'status' && !options.json) process.stderr.write(`… ${(m.data as { state?: string }).state ?? ''}\n`);
          if (m.event === 'message' && (m.data as Message).role === 'assistant') return m.data as Message;
          return undefined;
        },
        abort.signal,
      );
    } catch (error) {
      if ((error as Error).name === 'AbortError')
        throw new CliError(`no answer within ${options.timeout} s; the conversation is ${sent.conversationId}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (!answer) throw new CliError(`the chat stream ended without an answer; the conversation is ${sent.conversationId}`);
    if (options.json) return json({ conversationId: sent.conversationId, message: answer });
    out(answer.content);
    out(`\n(conversation ${sent.conversationId}${answer.jobId ? `; job ${answer.jobId}: aict watch ${answer.jobId}` : ''})`);
  });

const ledger = program.command('ledger').description('the tamper-evident ledger: an append-only Merkle log with signed tree heads');

ledger
  .command('verify')
  .description("recompute the server's whole log (leaves, signed tree heads, the old chain); exits 1 when something does not hold")
  .option('--tree-head <file>', 'a tree head saved earlier (aict ledger tree-head): the log must still contain it')
  .option('--json', 'machine-readable output')
  .action(async (options: { treeHead?: string; json?: boolean }) => {
    const api = client();
    const kept = options.treeHead
      ? (JSON.parse(readFileSync(options.treeHead, 'utf8')) as { treeSize: number; rootHash: string })
      : undefined;
    const result = await api.call(
      api.client.GET('/api/ledger/verify', { params: { query: kept ? { treeSize: kept.treeSize, rootHash: kept.rootHash } : {} } }),
    );
    if (options.json) json(result);
    else if (result.ok)
      out(
        `ledger intact: ${result.checked} entries under ${result.treeHeadsChecked} signed tree heads, tree of ${result.treeSize} root ${result.headHash ?? '-'}${result.pending ? ` (${result.pending} not yet sequenced)` : ''}`,
      );
    else
      out(
        `ledger BROKEN${result.firstBadSeq ? ` at entry #${result.firstBadSeq}` : ''}: ${result.reason} (${result.checked} entries before it hold)`,
      );
    process.exitCode = result.ok ? 0 : 1;
  });

ledger
  .command('tree-head')
  .description('print the latest signed tree head as JSON (keep it: aict verify consistency --kept checks the log against it later)')
  .action(async () => {
    const api = client();
    json(await api.call(api.client.GET('/api/ledger/tree-head')));
  });

ledger
  .command('prove')
  .description('print a proof as JSON, for aict verify: "inclusion <entry> [size]" or "consistency <from> <to>"')
  .argument('<kind>', 'inclusion or consistency')
  .argument('<a>', 'entry id (inclusion) or older tree size (consistency)')
  .argument('[b]', 'tree size (inclusion, default the latest) or newer tree size (consistency)')
  .action(async (kind: string, a: string, b?: string) => {
    const api = client();
    if (kind === 'inclusion') {
      json(
        await api.call(
          api.client.GET('/api/ledger/proof/inclusion', { params: { query: { entry: Number(a), ...(b ? { size: Number(b) } : {}) } } }),
        ),
      );
    } else if (kind === 'consistency' && b) {
      json(await api.call(api.client.GET('/api/ledger/proof/consistency', { params: { query: { from: Number(a), to: Number(b) } } })));
    } else throw new CliError('usage: aict ledger prove inclusion <entry> [size] | consistency <from> <to>');
  });

program
  .command('verify')
  .description(
    "check a saved tree head, inclusion proof or consistency proof offline against a trusted key (default: the server's key pinned at aict login); exits 0 verified, 1 invalid",
  )
  .addArgument(new Argument('<kind>', 'what the file holds').choices(['tree-head', 'inclusion', 'consistency']))
  .argument('<file>', 'the JSON file (aict ledger tree-head / aict ledger prove)')
  .option('--public-key <hex>', "the key to trust (default: the server's key pinned at aict login)")
  .option('--kept <file>', 'consistency only: a tree head kept earlier, where the proof must start')
  .option('--json', 'machine-readable output')
  .action((kind: LedgerVerifier.LedgerProofKind, file: string, options: { publicKey?: string; kept?: string; json?: boolean }) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { verifyLedgerProofFile, describeLedgerProofVerdict } = require('./verify-ledger') as typeof LedgerVerifier;
    const pinned = loadSettings(env).truthpackKey;
    const trusted = options.publicKey
      ? { publicKey: options.publicKey, source: 'option' as const }
      : pinned
        ? { publicKey: pinned.publicKey, source: 'login' as const }
        : undefined;
    if (!trusted) throw new CliError('no trusted key: run aict login, or pass --public-key');
    const verdict = verifyLedgerProofFile(kind, file, trusted, options.kept);
    if (options.json) json(verdict);
    else for (const line of describeLedgerProofVerdict(verdict)) out(line);
    process.exitCode = verdict.valid ? 0 : 1;
  });

program
  .command('truthpack')
  .description('signed provenance records')
  .command('verify')
  .description(
    'verify a saved GET /api/jobs/<id>/truthpack answer offline against a trusted key: exits 0 verified (bound to its job, signed by the trusted key), 1 invalid or signed by another key, 2 legacy (root signature only, not bound to a job), 3 no trusted key (consistent with itself only)',
  )
  .argument('<file>', 'the JSON file')
  .option('--public-key <hex>', "the key to trust (default: the server's key pinned at aict login)")
  .option('--json', 'machine-readable output')
  .action((file: string, options: { publicKey?: string; json?: boolean }) => {
    // Loaded only here: the TDLN engine comes with server code too heavy for the other commands.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { verifyTruthPackFile, describeTruthPackVerdict, TRUTHPACK_EXIT } = require('./verify-truthpack') as typeof TruthPackVerifier;
    const pinned = loadSettings(env).truthpackKey;
    const trusted = options.publicKey
      ? { publicKey: options.publicKey, source: 'option' as const }
      : pinned
        ? { publicKey: pinned.publicKey, source: 'login' as const }
        : undefined;
    const verdict = verifyTruthPackFile(file, trusted);
    if (options.json) json(verdict);
    else for (const line of describeTruthPackVerdict(verdict)) out(line);
    process.exitCode = TRUTHPACK_EXIT[verdict.outcome];
  });

program
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`aict: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT_ERROR;
  })
  // Exit explicitly: server libraries loaded by `truthpack verify` install exit hooks that reset the code.
  .finally(() => process.exit(process.exitCode ?? 0));
