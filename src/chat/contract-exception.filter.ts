import { type ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { errorFrame, FrameError } from '../core/protocol/frames.js';
import { failMessage } from '../telemetry/chat-tracing.js';
import { clientId, isPingOrPong } from './connection-rate-limit.guard.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { ContractException } from './contract.exception.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { RoomRegistry } from '../core/chat/room-registry.js';

/**
 * Turns every exception of a chat handler, guard or pipe into the contract's error frame, sent
 * to the sender only. Anything but a ContractException is a server bug: logged, answered with
 * `internal_error`, and the connection goes on.
 */
@Catch()
export class ContractExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger('ChatGateway');

  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly rateLimiter: ConnectionRateLimiter,
    private readonly rooms: RoomRegistry,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const conn = this.connections.get(ws.getClient<WebSocket>());
    if (conn === undefined) return;
    let error: FrameError;
    let fault: unknown;
    if (exception instanceof ContractException) {
      error = exception.frameError;
    } else {
      this.logger.error(exception);
      fault = exception;
      error = new FrameError('internal_error', 'internal server error', clientId(ws.getData()));
    }
    // The guard let this ping/pong through uncharged; an invalid one costs a token like any frame.
    if (error.code === 'invalid_message' && isPingOrPong(ws.getPattern())) {
      error = this.rateLimiter.charge(conn, clientId(ws.getData())) ?? error;
    }
    failMessage(error.code, fault);
    this.rooms.reply(conn, errorFrame(error));
    this.connections.counters.framesOut.error++;
  }
}
