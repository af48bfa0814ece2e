import type { WebSocket } from 'ws';

/** Per-connection chat state, shared by both profiles. */
export class ChatConnection {
  /** Bound by the first successful join; later joins must use the same user. */
  user: string | undefined = undefined;
  /** Rooms this connection is a member of. */
  readonly rooms = new Set<string>();
  /** Set by any frame or control frame from the client; cleared by each keepalive tick. */
  alive = true;
  /** Set once the connection was cut (slow consumer, dead, shutdown): nothing more is sent. */
  cut = false;
  /** Output is being held until the end of this tick, to go out in one write. */
  corked = false;
  /** Reading from the client is paused until its unsent output drains (flow control). */
  readPaused = false;
  /** Room events of this connection on their way through a bus (CHAT_BUS=redis), answers held behind them. */
  busPending = 0;
  /** Called when `busPending` is back to 0, once what was held has been sent (a held close may go). */
  onBusSettled: (() => void) | undefined = undefined;
  /** Key of this connection's rate-limit state. */
  readonly limiterKey: string;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
  ) {
    this.limiterKey = `conn:${id}`;
  }
}
