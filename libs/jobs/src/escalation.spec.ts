import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/common';
import { EscalationTrigger, describeCap, escalationOptions, geniusCaps } from './escalation';

const config = loadConfig({});
const mechanic = { mode: 'mechanic' as const, maxSteps: 60, maxTokens: 400_000, maxCostCents: 100, maxWallMs: 900_000 };
const steps: EscalationTrigger = {
  kind: 'cap',
  code: 'step_limit',
  cap: 'maxSteps',
  message: 'Step cap reached: 60 of 60 tool calls used',
};

describe('what a job may escalate to', () => {
  it('offers a mechanic job at a cap genius mode’s caps and twice the cap it reached', () => {
    expect(escalationOptions(mechanic, steps, config)).toEqual({
      genius: { mode: 'genius', caps: { maxSteps: 150, maxTokens: 3_000_000, maxCostCents: 1_500, maxWallMs: 3_600_000 } },
      raise: { cap: 'maxSteps', current: 60, suggested: 120, max: 500 },
    });
  });

  it('never lowers a cap a request raised above genius mode’s defaults, and stays within the server maxima', () => {
    const big = { ...mechanic, maxSteps: 400 };
    expect(geniusCaps(big, config).maxSteps).toBe(400);
    const narrow = loadConfig({ MAX_JOB_STEPS: '100' });
    expect(geniusCaps(mechanic, narrow).maxSteps).toBe(100);
    expect(escalationOptions(mechanic, steps, narrow).raise).toEqual({ cap: 'maxSteps', current: 60, suggested: 100, max: 100 });
  });

  it('offers no genius mode when it gives no more room at the cap reached, nor to a genius job', () => {
    expect(escalationOptions({ ...mechanic, maxSteps: 150 }, steps, config).genius).toBeNull();
    expect(escalationOptions({ ...mechanic, mode: 'genius' }, steps, config).genius).toBeNull();
    expect(escalationOptions({ ...mechanic, mode: 'genius' }, steps, config).raise).not.toBeNull();
  });

  it('offers no raise at the server maximum, nor for a second send-back (genius mode only)', () => {
    expect(escalationOptions({ ...mechanic, maxSteps: 500 }, steps, config).raise).toBeNull();
    const review: EscalationTrigger = { kind: 'review', message: 'sent back twice' };
    const options = escalationOptions(mechanic, review, config);
    expect(options.raise).toBeNull();
    expect(options.genius?.mode).toBe('genius');
  });

  it('suggests readable figures for tokens and wall time', () => {
    const tokens: EscalationTrigger = { kind: 'cap', code: 'token_limit', cap: 'maxTokens', message: '' };
    expect(escalationOptions({ ...mechanic, maxTokens: 123_456 }, tokens, config).raise?.suggested).toBe(250_000);
    expect(describeCap('maxWallMs', 1_800_000)).toBe('30 min');
    expect(describeCap('maxSteps', 120)).toBe('120 steps');
  });
});
