import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeModel } from '../fake-model/fake-model-server';
import { reply, toolUse } from '../fake-model/scenario';
import { makeRepo } from '../fixtures/repos/make-repo';
import { TeamHarness, startTeamHarness } from '../support/team-harness';
import { TestApp, startTestApp } from '../support/test-app';
import { api, waitFor } from '../support/http';

const FIX = {
  path: 'src/calc.js',
  oldText: 'function subtract(a, b) {\n  return a + b;',
  newText: 'function subtract(a, b) {\n  return a - b;',
};
/** A Builder that claims a file it never touched or read: the quality gate blocks and asks a person. */
const blockedTeam = {
  planner: [
    reply(toolUse('read_file', { path: 'src/calc.js' })),
    reply(toolUse('record_analysis', { summary: 'subtract adds', affectedFiles: ['src/calc.js'], risk: 'low' })),
    reply(toolUse('create_plan', { steps: [{ title: 'fix subtract', files: ['src/calc.js'] }] })),
  ],
  builder: [
    reply(toolUse('edit_file', FIX)),
    reply(toolUse('run_tests', {})),
    reply(toolUse('commit_changes', { message: 'Fix subtract' })),
    reply('Fixed subtract in src/calc.js and updated src/helpers.js to match; 3 tests pass.'),
  ],
  reviewer: [reply(toolUse('submit_review', { verdict: 'approve', summary: 'Good.', comments: [{ comment: 'Clear fix.' }] }))],
};

/**
 * What users read is rendered by tdln-out: over real HTTP with a worker and the fake model, the
 * quality gate's question, the review summary, the chat's status replies and the abort are the
 * templates' text, and the job's events, its ledger and the chat messages name the template and
 * carry the evidence the text cites.
 */
describe('what users read: tdln-out templates with their citations', () => {
  let harness: TeamHarness;
  let fake: FakeModel;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    harness = await startTeamHarness('aict-rendered-');
    ({ fake, root } = harness);
    t = await startTestApp({ env: harness.env() });
  });
  afterAll(async () => {
    await t?.close();
    await harness?.close();
  });

  it('renders the quality gate’s question, the chat’s status replies and the abort, and records which template said what', async () => {
    const repo = await makeRepo('calc-js', join(root, 'calc'));
    const goal = 'fix the subtract bug in src/calc.js [rendered-1]';
    fake.addScenario({ match: { contains: goal }, roles: blockedTeam });
    const conversationId = (await api(t.url, 'POST', '/api/conversations', { title: 'rendered', defaultRepo: repo })).body.id;
    const messages = async () => (await api(t.url, 'GET', `/api/messages?conversationId=${conversationId}&limit=500`)).body.items as any[];
    const until = (what: string, predicate: (m: any) => boolean) => waitFor(async () => (await messages()).find(predicate), 60_000, what);
    const say = async (message: string) => {
      const seen = (await messages()).length;
      await api(t.url, 'POST', '/api/chat', { conversationId, message });
      return waitFor(
        async () => (await messages()).slice(seen).find((m) => m.role === 'assistant' && m.data.update === undefined),
        20_000,
        `the answer to ${message}`,
      );
    };

    await api(t.url, 'POST', '/api/chat', { conversationId, message: goal });
    const card = await until('the job card', (m) => m.data.jobCard);
    const id = card.jobId as string;
    const waiting = await until('the question in chat', (m) => m.data.update === 'waiting');

    // The quality gate's question: the template's text, naming the failing checks and the path no tool saw.
    const job = (await api(t.url, 'GET', `/api/jobs/${id}`)).body;
    expect(job.status).toBe('waiting_human');
    const quality = job.pendingQuestion.data.quality;
    expect(quality.failing).toContain('claimed_paths');
    const question =
      `The quality gate blocked the result (score ${quality.score}/100; failing: ${quality.failing.join(', ')}). ` +
      'Paths the answer names that no tool touched or read: src/helpers.js. Approve to publish it anyway, reject to abort.';
    expect(job.pendingQuestion.question).toBe(question);
    const cited = job.pendingQuestion.data.template;
    expect(cited).toMatchObject({
      id: 'quality_blocked',
      evidence: { 'data.score': String(quality.score), 'data.unverified_paths[0]': 'src/helpers.js' },
    });
    expect(cited.citations).toEqual(expect.arrayContaining(['data.score', 'data.unverified_paths[0]', 'data.failing[0]']));
    // The status event and the ledger entry of the parking carry the template and its evidence.
    const parked = (await api(t.url, 'GET', `/api/events?jobId=${id}&type=status&limit=100`)).body.items.find(
      (e: any) => e.data.to === 'waiting_human',
    );
    expect(parked.data.question.data.template).toEqual(cited);
    const ledger = (await api(t.url, 'GET', `/api/jobs/${id}/ledger`)).body;
    expect(ledger.find((e: any) => e.kind === 'job.status' && e.data.to === 'waiting_human').data.question.data.template).toEqual(cited);
    // The review was summarised for people by its template too.
    const review = (await api(t.url, 'GET', `/api/events?jobId=${id}&type=review&limit=10`)).body.items[0];
    expect(review.summary).toBe(`Review of job ${id} approved: Good. Notes: Clear fix.`);
    expect(review.data.template.id).toBe('review_approved');
    expect(ledger.find((e: any) => e.kind === 'agent.review').summary).toBe(review.summary);

    // In chat: the question as it was asked, and a status reply from its template.
    expect(waiting.content).toBe(
      `Job ${id} needs you: ${question}\n\nReply **approve** or **reject** — nothing else is taken as a decision.`,
    );
    expect(waiting.data.template).toMatchObject({ id: 'job_needs_you', evidence: { 'data.job.id': id, 'data.question': question } });
    const status = await say('status?');
    expect(status.content).toBe(
      `Job ${id} is waiting for your approval: ${question}\n\nReply **approve** or **reject** (just that), or use the job page or \`aict respond ${id} --approve\`.`,
    );
    expect(status.data.template).toMatchObject({ id: 'still_waiting', evidence: { 'data.waiting[0].id': id } });

    // Rejected: the chat's acknowledgement, then the abort, each from its template; the ledger's message entries name them.
    const rejected = await say('reject');
    expect(rejected.content).toBe(`Understood: job ${id} is stopped.`);
    expect(rejected.data.template.id).toBe('response_recorded');
    const aborted = await until('the abort in chat', (m) => m.data.update === 'aborted');
    expect(aborted.content).toBe(`Job ${id} was stopped (rejected).`);
    expect(aborted.data.template).toEqual({
      id: 'job_aborted',
      citations: ['data.job.id', 'data.reason'],
      evidence: { 'data.job.id': id, 'data.reason': 'rejected' },
    });
    const entries = (await api(t.url, 'GET', '/api/ledger?kind=message&limit=1000')).body.items.filter(
      (e: any) => e.conversationId === conversationId,
    );
    expect(entries.find((e: any) => e.data.messageId === aborted.id).data.template.id).toBe('job_aborted');
    expect(entries.find((e: any) => e.data.messageId === status.id).data.template.id).toBe('still_waiting');

    // Status of a job that no longer runs.
    const after = await say('what is the status?');
    expect(after.content).toBe(`The last job, ${id} ("${goal}"), is stopped.`);
    expect(after.data.template).toMatchObject({ id: 'job_status', evidence: { 'data.job.id': id, 'data.status': 'stopped' } });
  });
});
