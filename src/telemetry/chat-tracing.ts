/**
 * Spans of the chat (Profile A): one per WebSocket connection lifetime, one per handled `join`,
 * `chat` and `leave`. A message's span joins the client's trace when the message carries a
 * `traceparent`; otherwise it starts a new trace linked to the connection's span. Every function
 * returns at once when tracing is off.
 *
 * Message spans follow OpenTelemetry's messaging conventions: the server processes (`process`) a
 * message of operation `join`, `chat` or `leave` whose destination is the room; a room is no
 * low-cardinality destination, so the span is named by the operation alone. No user name or chat
 * text is ever put on a span.
 */
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { WebSocket } from 'ws';
import { DEFAULT_ROOM, isTraceparent, isValidId, ROOM_PATTERN, WS_PATH } from '../core/protocol/contract.js';
import { tracing } from './tracer.js';

const connectionSpans = new WeakMap<object, Span>();
const TRACED_TYPES: ReadonlySet<string> = new Set(['join', 'chat', 'leave']);
/** `messaging.system`: this contract's chat, which no registered value names. */
export const MESSAGING_SYSTEM = 'ws_chat';

/**
 * Starts the span of a connection's lifetime; it ends with the close code when the socket closes.
 * The client's address is not recorded: a chat client is a person, and its address user data.
 */
export function startConnectionSpan(socket: WebSocket): void {
  if (!tracing.enabled) return;
  const span = tracing.tracer.startSpan('ws connection', {
    kind: SpanKind.SERVER,
    attributes: { 'url.path': WS_PATH },
  });
  connectionSpans.set(socket, span);
  socket.once('close', (code: number) => {
    connectionSpans.delete(socket);
    span.setAttribute('ws.close_code', code);
    span.end();
  });
}

export interface MessageSpan {
  readonly span: Span;
  /** The context to handle the message in: the span is active there. */
  readonly context: Context;
}

/** Starts the span of a `join`, `chat` or `leave` from `socket`; undefined for anything else. */
export function startMessageSpan(socket: object, type: string, data: unknown): MessageSpan | undefined {
  if (!tracing.enabled || !TRACED_TYPES.has(type)) return undefined;
  const body = data as { traceparent?: unknown; room?: unknown; id?: unknown };
  const parent = isTraceparent(body.traceparent)
    ? propagation.extract(ROOT_CONTEXT, { traceparent: body.traceparent })
    : ROOT_CONTEXT;
  const connection = connectionSpans.get(socket);
  const links: Link[] =
    trace.getSpanContext(parent) === undefined && connection !== undefined
      ? [{ context: connection.spanContext() }]
      : [];
  const attributes: Attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': 'process',
    'messaging.operation.name': type,
  };
  // a room that breaks the contract is refused: it names no destination
  const room = body.room === undefined ? DEFAULT_ROOM : body.room;
  if (typeof room === 'string' && ROOM_PATTERN.test(room)) attributes['messaging.destination.name'] = room;
  if (isValidId(body.id)) attributes['messaging.message.id'] = body.id;
  const span = tracing.tracer.startSpan(type, { kind: SpanKind.CONSUMER, attributes, links }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Adds an attribute to the span of the message being handled, if it is traced. */
export function annotateMessage(key: string, value: AttributeValue): void {
  if (!tracing.enabled) return;
  trace.getActiveSpan()?.setAttribute(key, value);
}

/**
 * Marks the active message span failed: `error.type` is the error frame's code (a refusal such
 * as `rate_limited`, or `internal_error` for a server fault, whose exception is recorded too).
 */
export function failMessage(code: string, fault?: unknown): void {
  if (!tracing.enabled) return;
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  if (fault !== undefined) span.recordException(fault instanceof Error ? fault : String(fault));
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Runs `fn` in the message span's context. */
export function inMessageContext<T>(messageSpan: MessageSpan, fn: () => T): T {
  return context.with(messageSpan.context, fn);
}
