import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Tells the HTTP server span of the current request which route matched: the HTTP
 * instrumentation then sets `http.route` and names the span `<method> <route>` when the
 * response ends (the way OpenTelemetry's framework instrumentations report a route). Profile A
 * on Fastify calls it (src/platform/fastify.ts, which loads this file only when tracing is on); on
 * Express the route is read off the request instead (sdk.ts). Does nothing outside a traced HTTP
 * request.
 */
export function recordHttpRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}
