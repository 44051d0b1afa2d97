import { useReadiness } from '../api/get-readiness';

/** Says, on every page, when no model is configured: jobs that need one fail at once. */
export function ModelBanner() {
  const { data } = useReadiness();
  if (!data?.model || data.model.configured) return null;
  return (
    <div className="banner banner-warn" role="status">
      <strong>No model is configured.</strong> The server has no model key (<code>ANTHROPIC_API_KEY</code>, see the README&apos;s
      configuration): jobs that need the model fail at once with <code>model_not_configured</code>, and chat answers only what the grammar
      reads.
    </div>
  );
}
