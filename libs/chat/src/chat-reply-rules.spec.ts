import { describe, expect, it } from 'vitest';
import { decisionOf, escalationChoiceOf, explicitAnswer, isPlainStatusQuestion, isQuestion, isStatusQuestion } from './chat-reply-rules';

describe('chat reply rules', () => {
  it.each([
    'approve',
    'Approve.',
    'yes',
    'Yes!',
    'ok',
    'OK thanks',
    'lgtm',
    'LGTM',
    'ship it',
    'Ship it!',
    'go ahead',
    'please go ahead',
    'Proceed.',
    'start it',
    'looks good to me',
    '👍',
  ])('reads %j as an approval', (text) => {
    expect(decisionOf(text)).toEqual({ decision: 'approve' });
  });

  it.each(['reject', 'no', 'No.', 'nope', 'stop', 'abort', 'cancel', 'don’t', 'do not do it', '👎'])('reads %j as a rejection', (text) => {
    expect(decisionOf(text)).toEqual({ decision: 'reject' });
  });

  it.each([
    "how's it going?",
    'yes but first tell me why it failed',
    'yes, like normal subtraction',
    'ok so what did the quality gate say',
    'no idea',
    'not yet',
    'approve the change to src/auth.ts and also fix the tests',
    'I think it looks good but run the tests again',
    'fix the failing login test in src/auth.ts',
    'maybe',
    '',
    'yes '.repeat(30),
  ])('does not read %j as a decision', (text) => {
    expect(decisionOf(text)).toBeNull();
  });

  it('takes the job a decision names, by its id or the first 8 characters of it', () => {
    expect(decisionOf('approve 1a2b3c4d')).toEqual({ decision: 'approve', jobRef: '1a2b3c4d' });
    expect(decisionOf('Reject job 1a2b3c4d-0000-4000-8000-000000000001.')).toEqual({
      decision: 'reject',
      jobRef: '1a2b3c4d-0000-4000-8000-000000000001',
    });
    expect(decisionOf('approve everything')).toBeNull();
  });

  it('finds an explicit answer only behind "answer:"', () => {
    expect(explicitAnswer('answer: fix src/calc.js only')).toBe('fix src/calc.js only');
    expect(explicitAnswer('Answer:  what is the status?  ')).toBe('what is the status?');
    expect(explicitAnswer('answer:')).toBeNull();
    expect(explicitAnswer('the answer: 42')).toBeNull();
  });

  it('tells a plain status question from an answer that mentions the status', () => {
    for (const text of ["how's it going?", 'what is the status?', 'status', 'Any progress?']) {
      expect(isStatusQuestion(text), text).toBe(true);
      expect(isPlainStatusQuestion(text), text).toBe(true);
    }
    expect(isStatusQuestion('return status 404 instead')).toBe(true);
    expect(isPlainStatusQuestion('return status 404 instead')).toBe(false);
    expect(isPlainStatusQuestion('should it keep the progress bar?'.padEnd(90, ' x'))).toBe(false);
  });

  it.each(['escalate', 'Escalate.', 'genius mode', 'continue in genius mode please', 'switch to genius mode'])(
    'reads %j as continuing in genius mode',
    (text) => {
      expect(escalationChoiceOf(text)).toEqual({ choice: 'escalate' });
    },
  );

  it.each([
    ['raise', { choice: 'raise' }],
    ['raise the cap', { choice: 'raise' }],
    ['raise to 120', { choice: 'raise', value: 120 }],
    ['raise to 60 steps', { choice: 'raise', value: 60, cap: 'maxSteps' }],
    ['Raise it to 80 tool calls.', { choice: 'raise', value: 80, cap: 'maxSteps' }],
    ['raise tokens to 800k', { choice: 'raise', value: 800_000, cap: 'maxTokens' }],
    ['raise to 1.5m tokens', { choice: 'raise', value: 1_500_000, cap: 'maxTokens' }],
    ['raise to $3', { choice: 'raise', value: 300, cap: 'maxCostCents' }],
    ['raise the cost cap to 300', { choice: 'raise', value: 300, cap: 'maxCostCents' }],
    ['raise time to 30', { choice: 'raise', value: 1_800_000, cap: 'maxWallMs' }],
    ['raise to 2 hours', { choice: 'raise', value: 7_200_000, cap: 'maxWallMs' }],
    ['raise to 60 steps 1234abcd', { choice: 'raise', value: 60, cap: 'maxSteps', jobRef: '1234abcd' }],
  ])('reads %j as raising the cap', (text, choice) => {
    expect(escalationChoiceOf(text)).toEqual(choice);
  });

  it.each([
    'yes',
    'approve',
    'raise to 60 apples',
    'raise steps to 5 tokens',
    'escalate this to my manager',
    'raise the price of the product to 60',
    'maybe genius mode would help, what do you think?',
    'fix the failing login test in src/auth.ts',
  ])('does not take %j as an escalation choice', (text) => {
    expect(escalationChoiceOf(text)).toBeNull();
  });

  it.each([
    'how does the add function work in src/calc.js?',
    'What does subtract return?',
    'is the subtract bug in src/calc.js fixed?',
    'Where is the login handled? ',
    'does src/calc.js export divide?',
  ])('reads %j as a question, not a task', (text) => {
    expect(isQuestion(text)).toBe(true);
  });

  it.each([
    'fix the subtract bug in src/calc.js',
    'can you fix the subtract bug in src/calc.js?',
    'could you add tests for src/calc.js?',
    'how to fix src/calc.js',
    'whatever, fix src/calc.js?',
  ])('does not read %j as a question', (text) => {
    expect(isQuestion(text)).toBe(false);
  });
});
