import { WebSocket } from 'ws';

/** The longest a close waits for the answers it holds back. */
export const CLOSE_HOLD_MS = 1_000;

/**
 * Frames read and not yet handled, at which reading from the client pauses. Each frame's answer
 * is at most about 4 KiB, so what they can still add to the output (a quarter of a MiB) stays
 * well within MAX_BUFFERED_BYTES' default once the registry's flow control pauses at half of it.
 */
export const FRAMES_IN_HAND_MAX = 64;

/**
 * The WebSocket of Profile A's connections (the `WebSocket` class its ws server creates).
 *
 * A connection is closed by `ws` itself on a fatal frame (1009, 1007) or a client's close frame,
 * and by the server on shutdown (1001). Gateway handlers may be asynchronous, and on the chat bus
 * a frame's answers wait for Redis, so frames read just before may not be answered yet. A close
 * then waits until they are (at most CLOSE_HOLD_MS), so that their answers go out before the
 * close frame, as docs/CONTRACT.md says and as a synchronous server does anyway. `ws` stops
 * reading the socket before it closes for a fatal frame, so no new frame arrives meanwhile.
 *
 * Frames are read as fast as the client sends them, and handled one after another; so that a
 * client pipelining thousands of frames is not read far ahead of its answers, reading pauses
 * while FRAMES_IN_HAND_MAX frames are in hand (as Profile B, which answers each frame as it reads
 * it, never has more than one).
 */
export class ChatSocket extends WebSocket {
  private inHand = 0;
  /** Holders of a pause of reading (this socket's frames in hand, the registry's flow control). */
  private pauses = 0;
  private owesElsewhere: () => boolean = () => false;
  private heldClose: (() => void) | undefined;

  /** Answers may also be owed elsewhere, for example held behind the chat bus; answered() says when they went. */
  holdCloseWhile(owes: () => boolean): void {
    this.owesElsewhere = owes;
  }

  /** Answers owed elsewhere were sent: a held close may go. */
  answered(): void {
    if (this.heldClose !== undefined) this.closeWhenAnswered();
  }

  /** A frame was read: it is being handled. With FRAMES_IN_HAND_MAX in hand, reading pauses. */
  frameStarted(): void {
    if (++this.inHand === FRAMES_IN_HAND_MAX) this.pause();
  }

  /** A frame's handling ended: reading may resume, a held close may go. */
  frameDone(): void {
    if (this.inHand-- === FRAMES_IN_HAND_MAX) this.resume();
    if (this.heldClose !== undefined) this.closeWhenAnswered();
  }

  /** Pauses reading until every pause() is matched by a resume(). */
  override pause(): void {
    if (this.pauses++ === 0) super.pause();
  }

  override resume(): void {
    if (this.pauses > 0 && --this.pauses === 0) super.resume();
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

  /** Sends the held close once nothing is owed. */
  private closeWhenAnswered(): void {
    if (!this.owes()) this.releaseClose();
  }

  private releaseClose(): void {
    const close = this.heldClose;
    this.heldClose = undefined;
    close?.();
  }
}
