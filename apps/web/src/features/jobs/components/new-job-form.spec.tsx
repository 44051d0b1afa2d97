import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { aJob } from '@/test/fixtures';
import { mockApi, renderWithClient } from '@/test/render';
import { NewJobForm } from './new-job-form';

const ENGINE = { version: '1', grammarHash: 'g' };

describe('NewJobForm', () => {
  it('shows how the goal was understood before it is submitted', async () => {
    const { calls } = mockApi({
      'POST /api/tdln/parse': () => ({
        ok: true,
        intent: {
          operation: 'fix',
          targets: ['src/calc.js'],
          mode: 'mechanic',
          readOnly: false,
          confidence: 0.91,
          span: 'FIX src/calc.js',
        },
        policy: { verdict: 'allow', riskLevel: 'low' },
        engine: ENGINE,
      }),
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'fix the bug in src/calc.js');
    expect(await screen.findByText('fix', { selector: '.intent-op' })).toBeTruthy();
    expect(screen.getByText('src/calc.js')).toBeTruthy();
    expect(screen.getByText('91%')).toBeTruthy();
    expect(screen.getByText('writes code')).toBeTruthy();
    expect(calls.filter((c) => c.path === '/api/jobs')).toHaveLength(0);
    expect(calls.at(-1)?.body).toEqual({ text: 'fix the bug in src/calc.js' });
  });

  it('asks for clarification when the engine abstains, and a suggestion replaces the goal', async () => {
    mockApi({
      'POST /api/tdln/parse': ({ body }) =>
        body.text === 'do stuff'
          ? {
              ok: false,
              abstain: {
                reason: 'too_vague',
                clarification: 'What should change, and where?',
                suggestions: ['fix the failing test in src/calc.js'],
              },
              engine: ENGINE,
            }
          : { ok: true, intent: { operation: 'fix', targets: [], mode: 'mechanic', readOnly: false, confidence: 0.8 }, engine: ENGINE },
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Repository'), '/srv/repos/calc');
    await userEvent.type(screen.getByLabelText('Goal'), 'do stuff');
    expect(await screen.findByText('What should change, and where?')).toBeTruthy();
    expect(screen.getByText('too vague')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'fix the failing test in src/calc.js' }));
    expect((screen.getByLabelText('Goal') as HTMLTextAreaElement).value).toBe('fix the failing test in src/calc.js');
    expect(await screen.findByText('fix', { selector: '.intent-op' })).toBeTruthy();
  });

  it('says "Checking…" while a goal is read and never shows the verdict of the previous text', async () => {
    let release: () => void = () => {};
    mockApi({
      'POST /api/tdln/parse': ({ body }) =>
        body.text === 'fix the bug in src/calc.js'
          ? {
              ok: true,
              intent: { operation: 'bug_fix', targets: ['src/calc.js'], mode: 'mechanic', readOnly: false, confidence: 0.99 },
              engine: ENGINE,
            }
          : new Promise((resolve) => {
              release = () =>
                resolve({ ok: false, abstain: { reason: 'too_vague', clarification: 'What should change?' }, engine: ENGINE });
            }),
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    const goal = screen.getByLabelText('Goal');
    await userEvent.type(goal, 'fix the bug in src/calc.js');
    expect(await screen.findByText('bug_fix', { selector: '.intent-op' })).toBeTruthy();
    await userEvent.clear(goal);
    await userEvent.type(goal, 'make it better');
    expect(await screen.findByText('Checking…')).toBeTruthy();
    expect(screen.queryByText('bug_fix')).toBeNull();
    expect(screen.queryByText('99%')).toBeNull();
    release();
    expect(await screen.findByText('What should change?')).toBeTruthy();
  });

  it('disables Start with the reason: no repository, a refused request, or an unreadable goal without a model', async () => {
    mockApi({
      'POST /api/tdln/parse': ({ body }) =>
        body.text === 'delete every file'
          ? {
              ok: false,
              refusal: { code: 'policy_blocked', message: 'Refused', details: { reason: 'dangerous', violations: [] } },
              engine: ENGINE,
            }
          : body.text === 'hmm'
            ? { ok: false, modelAvailable: false, abstain: { reason: 'too_vague', clarification: 'What?' }, engine: ENGINE }
            : { ok: true, intent: { operation: 'fix', targets: [], mode: 'mechanic', readOnly: false, confidence: 0.9 }, engine: ENGINE },
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    const start = () => screen.getByRole('button', { name: 'Start job' }) as HTMLButtonElement;
    expect(start().disabled).toBe(true);
    expect(screen.getByText('Type a goal to start a job.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Goal'), 'fix the bug in src/calc.js');
    expect(await screen.findByText('Name the repository the team should work on.')).toBeTruthy();
    expect(start().disabled).toBe(true);
    await userEvent.type(screen.getByLabelText('Repository'), '/srv/repos/calc');
    await waitFor(() => expect(start().disabled).toBe(false));
    await userEvent.clear(screen.getByLabelText('Goal'));
    await userEvent.type(screen.getByLabelText('Goal'), 'delete every file');
    expect(await screen.findByText('The policy refuses this request: change the goal.')).toBeTruthy();
    expect(start().disabled).toBe(true);
    expect(start().getAttribute('aria-describedby')).toBe('start-reason');
    await userEvent.clear(screen.getByLabelText('Goal'));
    await userEvent.type(screen.getByLabelText('Goal'), 'hmm');
    expect(await screen.findByText(/no model is configured to read it: rephrase it/)).toBeTruthy();
    expect(start().disabled).toBe(true);
  });

  it('offers no stock rephrasings before a repository is named, and asks for it instead', async () => {
    mockApi({
      'POST /api/tdln/parse': () => ({
        ok: false,
        abstain: { reason: 'too_vague', clarification: 'What should change?', suggestions: ['fix the failing test in src/calc.js'] },
        engine: ENGINE,
      }),
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'do stuff');
    expect(await screen.findByText('Name the repository to see rephrasings that use its own files.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'fix the failing test in src/calc.js' })).toBeNull();
  });

  it('shows a refusal with what the request would do, before anything is submitted', async () => {
    mockApi({
      'POST /api/tdln/parse': () => ({
        ok: false,
        source: 'grammar',
        modelAvailable: true,
        latencyMs: 0.4,
        refusal: {
          code: 'policy_blocked',
          message: 'Refused',
          details: {
            reason: 'dangerous',
            violations: [
              {
                ruleId: 'secrets_exposure',
                message: 'the request would commit, print, log or send secrets: "commit the .env file"',
                evidence: 'commit the .env file',
              },
            ],
          },
        },
        engine: ENGINE,
      }),
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'commit the .env file');
    expect(await screen.findByText('Refused')).toBeTruthy();
    expect(screen.getByText(/would commit, print, log or send secrets/)).toBeTruthy();
    expect(screen.getByText(/The policy refuses this request/)).toBeTruthy();
  });

  it('asks the model only when told to, and shows that the model read the goal', async () => {
    const { calls } = mockApi({
      'POST /api/tdln/parse': ({ body }) =>
        body.useModel
          ? {
              ok: true,
              source: 'model',
              modelAvailable: true,
              latencyMs: 812,
              intent: {
                operation: 'performance',
                targets: ['src/login.ts'],
                mode: 'genius',
                readOnly: false,
                confidence: 0.8,
                source: { kind: 'model', model: 'claude-haiku-4-5', requestId: 'req_42', promptHash: 'ab'.repeat(32) },
              },
              policy: { verdict: 'allow' },
              engine: ENGINE,
            }
          : {
              ok: false,
              source: 'grammar',
              modelAvailable: true,
              latencyMs: 0.3,
              refusal: {
                code: 'unparseable_request',
                message: 'What should change?',
                details: { reason: 'no_match', missing: 'operation', clarification: 'What should change?', suggestions: [] },
              },
              engine: ENGINE,
            },
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'the login page drags');
    expect(await screen.findByText('What should change?')).toBeTruthy();
    expect(screen.getByText(/the model will be asked to understand it/)).toBeTruthy();
    expect(calls.filter((c) => c.path === '/api/tdln/parse').every((c) => !c.body.useModel)).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Ask the model how it reads this' }));
    expect(await screen.findByText('performance', { selector: '.intent-op' })).toBeTruthy();
    expect(screen.getByText('req_42')).toBeTruthy();
    expect(calls.at(-1)?.body).toEqual({ text: 'the login page drags', useModel: true });
  });

  it('submits goal, repository, mode and caps, and hands over the new job', async () => {
    const job = aJob({ status: 'queued' });
    const { calls } = mockApi({
      'POST /api/tdln/parse': () => ({
        ok: true,
        intent: { operation: 'fix', targets: [], mode: 'genius', readOnly: false, confidence: 0.8 },
        engine: ENGINE,
      }),
      'POST /api/jobs': () => job,
    });
    const onCreated = vi.fn();
    renderWithClient(<NewJobForm debounceMs={0} onCreated={onCreated} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'fix it');
    await userEvent.type(screen.getByLabelText('Repository'), '/srv/repos/calc');
    await userEvent.selectOptions(screen.getByLabelText('Mode'), 'genius');
    fireEvent.change(screen.getByLabelText('Max steps'), { target: { value: '25' } });
    fireEvent.change(screen.getByLabelText('Max cost (cents)'), { target: { value: '50' } });
    fireEvent.change(screen.getByLabelText('Max time (minutes)'), { target: { value: '2' } });
    await userEvent.click(screen.getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(job.id));
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/jobs');
    expect(post?.body).toEqual({
      goal: 'fix it',
      repo: '/srv/repos/calc',
      mode: 'genius',
      maxSteps: 25,
      maxCostCents: 50,
      maxWallMs: 120000,
    });
    expect(post?.headers.get('x-requested-with')).toBe('aict');
  });

  it('shows the server’s reason when the job is refused', async () => {
    mockApi({
      'POST /api/tdln/parse': () => ({
        ok: true,
        intent: { operation: 'fix', targets: [], mode: 'mechanic', readOnly: false, confidence: 0.8 },
        engine: ENGINE,
      }),
      'POST /api/jobs': () =>
        new Response(JSON.stringify({ error: { code: 'validation_failed', message: 'repo must be an absolute path or a git URL' } }), {
          status: 400,
        }),
    });
    renderWithClient(<NewJobForm debounceMs={0} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText('Goal'), 'fix it');
    await userEvent.type(screen.getByLabelText('Repository'), 'relative/path');
    await userEvent.click(screen.getByRole('button', { name: 'Start job' }));
    expect((await screen.findByRole('alert')).textContent).toContain('repo must be an absolute path or a git URL');
  });
});
