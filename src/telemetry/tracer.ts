/**
 * The app's handle on tracing. `tracing.enabled` is decided once, before the app loads: when it
 * is false, code on hot paths skips span work entirely (not even a no-op span is allocated).
 */
import { trace, type Tracer } from '@opentelemetry/api';

export const TRACER_NAME = 'ws-chat-limiter-bench';

export const tracing = {
  enabled: false,
  tracer: trace.getTracer(TRACER_NAME) as Tracer,
  /** Flushes and stops the SDK (set by the preload that started it). */
  shutdown: async (): Promise<void> => {},
};

/** Turns the app's spans on, with the tracer of the provider registered by then. */
export function enableTracing(shutdown: () => Promise<void>): void {
  tracing.enabled = true;
  tracing.tracer = trace.getTracer(TRACER_NAME);
  tracing.shutdown = shutdown;
}
