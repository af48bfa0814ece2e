import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { FrameError } from '../core/protocol/frames.js';
import { annotateMessage } from '../telemetry/chat-tracing.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { ContractException } from './contract.exception.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';

/** The client's `id` of a routed frame (a REJECTED_FRAME carries its FrameError instead). */
export function clientId(data: unknown): unknown {
  if (data instanceof FrameError) return data.ref;
  return typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
}

export function isPingOrPong(pattern: string): boolean {
  return pattern === 'ping' || pattern === 'pong';
}

/**
 * Charges every frame to its connection's bucket before it is validated or handled, and refuses
 * it with `rate_limited` when the bucket is empty. Ping and pong pass uncharged here: they are
 * free only when valid, so ContractExceptionFilter charges one that fails validation.
 */
@Injectable()
export class ConnectionRateLimitGuard implements CanActivate {
  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly rateLimiter: ConnectionRateLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    if (isPingOrPong(ws.getPattern())) return true;
    const conn = this.connections.get(ws.getClient<WebSocket>());
    if (conn === undefined) return false;
    const refusal = this.rateLimiter.charge(conn, clientId(ws.getData()));
    annotateMessage('chat.rate_limited', refusal !== undefined);
    if (refusal !== undefined) throw new ContractException(refusal);
    return true;
  }
}
