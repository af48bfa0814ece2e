/** Profile A's telemetry, as the other feature folders use it (the SDK itself is loaded by preload.ts only). */
export {
  annotateMessage,
  failMessage,
  inMessageContext,
  type MessageSpan,
  startConnectionSpan,
  startMessageSpan,
} from './chat-tracing.js';
export { PinoLogger } from './pino-logger.js';
export { TelemetryModule } from './telemetry.module.js';
export { enableTracing, tracing } from './tracer.js';
