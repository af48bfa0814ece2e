/**
 * Spans of the chat (Profile A): one per WebSocket connection lifetime, one per handled `join`,
 * `chat` and `leave`. A message's span joins the client's trace when the message carries a
 * `traceparent`; otherwise it starts a new trace linked to the connection's span. Every function
 * returns at once when tracing is off.
 */
import {
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
import { DEFAULT_ROOM, isTraceparent, WS_PATH } from '../protocol/contract.js';
import { tracing } from './tracer.js';

const connectionSpans = new WeakMap<object, Span>();
const TRACED_TYPES: ReadonlySet<string> = new Set(['join', 'chat', 'leave']);

/** Starts the span of a connection's lifetime; it ends with the close code when the socket closes. */
export function startConnectionSpan(socket: WebSocket, remoteAddress: string | undefined): void {
  if (!tracing.enabled) return;
  const span = tracing.tracer.startSpan('ws connection', {
    kind: SpanKind.SERVER,
    attributes: { 'network.peer.address': remoteAddress ?? '', 'url.path': WS_PATH },
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
  const body = data as { traceparent?: unknown; room?: unknown };
  const parent = isTraceparent(body.traceparent)
    ? propagation.extract(ROOT_CONTEXT, { traceparent: body.traceparent })
    : ROOT_CONTEXT;
  const connection = connectionSpans.get(socket);
  const links: Link[] =
    trace.getSpanContext(parent) === undefined && connection !== undefined ? [{ context: connection.spanContext() }] : [];
  const span = tracing.tracer.startSpan(
    `chat ${type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'chat.message.type': type,
        'chat.room': typeof body.room === 'string' ? body.room : DEFAULT_ROOM,
      },
      links,
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Adds an attribute to the span of the message being handled, if it is traced. */
export function annotateMessage(key: string, value: AttributeValue): void {
  if (!tracing.enabled) return;
  trace.getActiveSpan()?.setAttribute(key, value);
}

/** Marks the active message span failed by a server fault. */
export function failMessage(error: unknown): void {
  if (!tracing.enabled) return;
  const span = trace.getActiveSpan();
  span?.recordException(error instanceof Error ? error : String(error));
  span?.setStatus({ code: SpanStatusCode.ERROR });
}

/** Runs `fn` in the message span's context. */
export function inMessageContext<T>(messageSpan: MessageSpan, fn: () => T): T {
  return context.with(messageSpan.context, fn);
}
