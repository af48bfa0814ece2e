import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { FrameAccounting } from '../core/chat/frame-accounting.js';
import { annotateMessage } from '../telemetry/index.js';
import { ContractException } from './contract.exception.js';
import { arrivedType, clientId } from './frame-type.js';

/**
 * Charges every frame to its connection's bucket before it is validated or handled, and refuses
 * it with `rate_limited` when the bucket is empty (FrameAccounting decides what a frame costs: a
 * ping or pong is charged only if ContractExceptionFilter finds it invalid).
 */
@Injectable()
export class ConnectionRateLimitGuard implements CanActivate {
  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly accounting: FrameAccounting,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    const conn = this.connections.get(ws.getClient<WebSocket>());
    if (conn === undefined) return false;
    const refusal = this.accounting.chargeOnArrival(conn, arrivedType(ws.getPattern()), clientId(ws.getData()));
    annotateMessage('chat.rate_limited', refusal !== undefined);
    if (refusal !== undefined) throw new ContractException(refusal);
    return true;
  }
}
