/**
 * Whether this process exports traces: only when an OTLP endpoint is configured (standard
 * OTEL_* variables) and the SDK is not disabled. Off, nothing is started or patched, and the
 * app's own spans are not even created.
 */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
