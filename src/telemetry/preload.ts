/**
 * Loaded before the app (src/main.ts imports it first, then the app). When an
 * OTLP endpoint is configured it registers the ESM loader hook (so that ioredis, imported from
 * ES modules, can be patched), then starts the OpenTelemetry SDK: OTLP/HTTP export of traces,
 * HTTP and ioredis instrumentations, service name and sampling from the standard OTEL_*
 * variables. Otherwise it does nothing at all.
 */
import { register } from 'node:module';
import { tracingConfigured } from './tracing-config.js';

if (tracingConfigured()) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./sdk.js');
  startTracing();
}
