import { WsException } from '@nestjs/websockets';
import type { FrameError } from '../core/protocol/frames.js';

/** A refusal to send back as the contract's error frame (see ContractExceptionFilter). */
export class ContractException extends WsException {
  constructor(readonly frameError: FrameError) {
    super(frameError.message);
  }
}
