import { useReadiness } from '../api/get-readiness';

/** Says, on every page, when the workers cannot run tests (and how to fix it) or run them without isolation. */
export function SandboxBanner() {
  const { data } = useReadiness();
  const sandbox = data?.sandbox;
  if (!sandbox || sandbox.state === 'ok' || sandbox.state === 'unknown') return null;
  if (sandbox.state === 'disabled') {
    return (
      <div className="banner banner-warn" role="status">
        <strong>Tests run without isolation.</strong> The server runs with <code>SANDBOX=none</code>: jobs run repository tests and linters
        with no sandbox. Use it only with repositories you trust.
      </div>
    );
  }
  return (
    <div className="banner banner-bad" role="alert">
      <strong>Jobs cannot run tests.</strong> {sandbox.message} Jobs that change code fail at once with <code>sandbox_unavailable</code>.
      {sandbox.fix ? <> To fix it: {sandbox.fix}.</> : null}
    </div>
  );
}
