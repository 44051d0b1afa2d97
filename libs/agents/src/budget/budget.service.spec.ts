import { describe, expect, it } from 'vitest';
import { stageAllowance } from './budget.service';

const caps = { steps: 60, tokens: 400_000 };
const shares = { plan: 0.25, build: 0.55, review: 0.2 };

describe('a stage’s share of what the job has left', () => {
  it('gives the first stage its share of the whole job', () => {
    expect(stageAllowance({ caps, used: { steps: 0, tokens: 0 }, share: shares.plan, laterShares: [shares.build, shares.review] })).toEqual(
      { steps: 15, tokens: 100_000 },
    );
  });

  it('lets what an earlier stage did not use flow to the stages after it', () => {
    const frugalPlanner = stageAllowance({ caps, used: { steps: 5, tokens: 20_000 }, share: shares.build, laterShares: [shares.review] });
    const busyPlanner = stageAllowance({ caps, used: { steps: 15, tokens: 100_000 }, share: shares.build, laterShares: [shares.review] });
    expect(frugalPlanner).toEqual({ steps: 41, tokens: 278_667 });
    expect(busyPlanner).toEqual({ steps: 33, tokens: 220_000 });
  });

  it('gives the last stage all that is left', () => {
    expect(stageAllowance({ caps, used: { steps: 40, tokens: 250_000 }, share: shares.review, laterShares: [] })).toEqual({
      steps: 20,
      tokens: 150_000,
    });
  });

  it('adds what a resumed role already used to its share of what is left', () => {
    expect(
      stageAllowance({
        caps: { steps: 150, tokens: 3_000_000 },
        used: { steps: 20, tokens: 90_000 },
        roleUsed: { steps: 5, tokens: 30_000 },
        share: shares.plan,
        laterShares: [shares.build, shares.review],
      }),
    ).toEqual({ steps: 5 + 33, tokens: 30_000 + 727_500 });
  });

  it('leaves a stage at least one call to finish with when the job has nothing left', () => {
    expect(stageAllowance({ caps, used: { steps: 60, tokens: 400_000 }, share: shares.review, laterShares: [] })).toEqual({
      steps: 2,
      tokens: 1_000,
    });
  });
});
