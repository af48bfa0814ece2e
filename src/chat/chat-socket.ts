import { WebSocket } from 'ws';

/** The longest a close waits for the answers it holds back. */
export const CLOSE_HOLD_MS = 1_000;

/**
 * The WebSocket of Profile A's connections (the `WebSocket` class its ws server creates).
 *
 * A connection is closed by `ws` itself on a fatal frame (1009, 1007) or a client's close frame,
 * and by the server on shutdown (1001). Gateway handlers may be asynchronous, and on the chat bus
 * a frame's answers wait for Redis, so frames read just before may not be answered yet. A close
 * then waits until they are (at most CLOSE_HOLD_MS), so that their answers go out before the
 * close frame, as docs/CONTRACT.md says and as a synchronous server does anyway. `ws` stops
 * reading the socket before it closes for a fatal frame, so no new frame arrives meanwhile.
 */
export class ChatSocket extends WebSocket {
  private inHand = 0;
  private owesElsewhere: () => boolean = () => false;
  private heldClose: (() => void) | undefined;

  /** Answers may also be owed elsewhere, for example held behind the chat bus. */
  holdCloseWhile(owes: () => boolean): void {
    this.owesElsewhere = owes;
  }

  /** A frame was read: it is being handled. */
  frameStarted(): void {
    this.inHand++;
  }

  /** A frame's handling ended: a held close may go now. */
  frameDone(): void {
    this.inHand--;
    if (this.heldClose !== undefined) this.closeWhenAnswered();
  }

  override close(code?: number, data?: string | Buffer): void {
    if (this.heldClose === undefined) {
      if (!this.owes()) return super.close(code, data);
      setTimeout(() => this.releaseClose(), CLOSE_HOLD_MS).unref();
    }
    this.heldClose = () => super.close(code, data);
    this.closeWhenAnswered();
  }

  private owes(): boolean {
    return this.inHand > 0 || this.owesElsewhere();
  }

  /** Sends the held close once nothing is owed; answers owed elsewhere are polled (a rare path). */
  private closeWhenAnswered(): void {
    if (!this.owes()) this.releaseClose();
    else if (this.inHand === 0) setTimeout(() => this.heldClose !== undefined && this.closeWhenAnswered(), 1).unref();
  }

  private releaseClose(): void {
    const close = this.heldClose;
    this.heldClose = undefined;
    close?.();
  }
}
