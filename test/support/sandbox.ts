import { execFileSync } from 'node:child_process';

/** Whether bubblewrap is installed here (CI installs it). */
export const HAS_BWRAP = (() => {
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The environment a test app needs to run commands: none with bubblewrap, the explicit SANDBOX=none opt-out without. */
export const SANDBOX_ENV: Record<string, string> = HAS_BWRAP ? {} : { SANDBOX: 'none' };
