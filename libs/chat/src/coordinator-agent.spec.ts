import { describe, expect, it } from 'vitest';
import { asksToCancel } from './coordinator-agent';

describe('when the Coordinator may cancel a job', () => {
  it.each(['please cancel job 1a2b3c4d', 'stop it', 'can you stop the running job?', 'Abort that, it is the wrong file'])(
    'takes %j as a request to stop work',
    (text) => {
      expect(asksToCancel(text)).toBe(true);
    },
  );

  it.each(['why does the stop button in src/ui.js not work?', 'what does abort() do in src/run.js?', 'which jobs are there here?'])(
    'does not take %j as one',
    (text) => {
      expect(asksToCancel(text)).toBe(false);
    },
  );
});
