import { type ArgumentsHost, Catch, Inject, Logger, type WsExceptionFilter } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { errorFrame, FrameError } from '../core/protocol/frames.js';
import { failMessage } from '../telemetry/index.js';
import { ContractException } from './contract.exception.js';
import { arrivedType, clientId } from './frame-type.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';
import { FrameAccounting } from '../core/chat/frame-accounting.js';
import { Rooms } from '../core/chat/rooms.js';

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
    private readonly accounting: FrameAccounting,
    @Inject(Rooms) private readonly rooms: Rooms,
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
    // (an invalid ping or pong, which the guard let through uncharged, pays its token here)
    const sent = this.accounting.refused(conn, arrivedType(ws.getPattern()), error);
    failMessage(sent.code, fault);
    this.rooms.reply(conn, errorFrame(sent));
  }
}
