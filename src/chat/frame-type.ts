import type { ArrivedType } from '../core/chat/frame-accounting.js';
import { FrameError } from '../core/protocol/frames.js';
import { REJECTED_FRAME } from './chat-ws.adapter.js';

/** A routed frame's type as FrameAccounting counts it: the handler's pattern, `rejected` for REJECTED_FRAME. */
export function arrivedType(pattern: string): ArrivedType {
  return pattern === REJECTED_FRAME ? 'rejected' : (pattern as ArrivedType);
}

/** The client's `id` of a routed frame (a REJECTED_FRAME carries its FrameError instead). */
export function clientId(data: unknown): unknown {
  if (data instanceof FrameError) return data.ref;
  return typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
}
