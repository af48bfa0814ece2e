import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { enableTracing } from './tracer.js';

/** The version in package.json (dist/telemetry/ → the package root). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * An HTTP server span gets the route the app matched (Express leaves it on the request), and is
 * named `<method> <route>` by the HTTP conventions (e.g. `POST /v1/check`). A request that
 * matched no route keeps the bare method as its name.
 */
function nameByRoute(span: Span, request: unknown): void {
  const req = request as IncomingMessage & { route?: { path?: unknown } };
  const route = req.route?.path;
  if (typeof route !== 'string') return;
  span.setAttribute('http.route', route);
  span.updateName(`${req.method ?? 'GET'} ${route}`);
}

/**
 * Starts the SDK for traces only; metrics are served by /metrics, logs go to stdout. The resource
 * carries `service.version` (OTEL_RESOURCE_ATTRIBUTES may override it). Redis spans show the
 * command's name only: its keys and arguments hold limiter subjects and chat messages.
 */
export function startTracing(): void {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  process.env.OTEL_SERVICE_NAME ??= 'chat-profile-a';
  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_VERSION]: packageVersion() })),
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({
        // health probes and scrapes would drown the traces that matter
        ignoreIncomingRequestHook: (req) => /^\/(health|metrics)/.test(req.url ?? ''),
        applyCustomAttributesOnSpan: nameByRoute,
      }),
      new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  enableTracing(() => sdk.shutdown());
}
