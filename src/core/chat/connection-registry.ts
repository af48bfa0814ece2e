import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { ChatConnection } from './chat-connection.js';

const OPEN = 1;
const CLOSED = 3;
const AS_TEXT = { binary: false } as const;
const noop = (): void => {};

export interface ConnectionRegistryOptions {
  /** Unsent output (bytes) above which a connection is dropped instead of buffered. */
  readonly maxBufferedBytes: number;
  /** Interval of WebSocket pings; a connection silent for a whole interval is cut. */
  readonly keepaliveIntervalMs: number;
}

/**
 * The open connections of one server, and the rules that apply to each of them whatever the
 * profile: liveness (keepalive), the slow-consumer bound on output, and the shutdown close.
 */
export class ConnectionRegistry {
  private readonly connections = new Map<WebSocket, ChatConnection>();
  private nextId = 1;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  /** Connections cut because their unsent output passed the bound. */
  slowConsumersDropped = 0;
  /** Connections cut by the keepalive sweep. */
  deadConnectionsCut = 0;
  /** Connections corked in the current tick. */
  private readonly held: ChatConnection[] = [];
  /** Set when the shutdown close begins: no new connection is accepted from then on. */
  private closingAll = false;

  constructor(private readonly options: ConnectionRegistryOptions) {}

  /** Registers a new socket. Every frame, ping or pong from the client marks it alive. */
  open(socket: WebSocket): ChatConnection {
    const conn = new ChatConnection(this.nextId++, socket);
    const markAlive = (): void => {
      conn.alive = true;
    };
    socket.on('message', markAlive);
    socket.on('pong', markAlive);
    socket.on('ping', markAlive);
    // Client faults (oversized frame, bad UTF-8, protocol errors) arrive here; `ws` then closes
    // the connection with the right code. Without a listener the process would crash.
    socket.on('error', noop);
    this.connections.set(socket, conn);
    return conn;
  }

  get(socket: WebSocket): ChatConnection | undefined {
    return this.connections.get(socket);
  }

  /** Forgets a closed socket. */
  remove(conn: ChatConnection): void {
    conn.cut = true;
    this.connections.delete(conn.socket);
  }

  get size(): number {
    return this.connections.size;
  }

  /** True once the shutdown close has begun. */
  get closing(): boolean {
    return this.closingAll;
  }

  /**
   * `ws`'s verifyClient for both profiles: while shutting down, an upgrade is answered
   * `503 Service Unavailable` (with `Connection: close`), as docs/CONTRACT.md says.
   */
  readonly verifyUpgrade = (_info: unknown, accept: (ok: boolean, code?: number) => void): void => {
    if (this.closingAll) accept(false, 503);
    else accept(true);
  };

  /**
   * Sends one frame. `data` may be a Buffer encoded once for many recipients; it goes out as a
   * text frame. The socket is corked until the end of the current tick, so that everything sent
   * to one connection in one turn of the event loop leaves in one write (one syscall).
   */
  send(conn: ChatConnection, data: string | Buffer): void {
    const socket = conn.socket;
    if (conn.cut || socket.readyState !== OPEN) return;
    if (!conn.corked) this.hold(conn);
    socket.send(data, AS_TEXT);
  }

  private hold(conn: ChatConnection): void {
    rawSocket(conn.socket)?.cork();
    conn.corked = true;
    if (this.held.push(conn) === 1) process.nextTick(this.releaseHeld);
  }

  /**
   * Uncorks every socket written to in this tick, then applies the output rules to each:
   * - flow control: while its unsent output (what the OS socket has not accepted) is above half
   *   the bound, the connection is not read from, so a client that pipelines many frames gets
   *   their answers as fast as it reads them and is never dropped for it;
   * - slow consumer: a connection whose unsent output still passes the bound (others'
   *   broadcasts it does not read) is cut instead of buffering more.
   */
  private readonly releaseHeld = (): void => {
    for (const conn of this.held) {
      conn.corked = false;
      const socket = conn.socket;
      const raw = rawSocket(socket);
      raw?.uncork();
      if (conn.cut) continue;
      if (socket.bufferedAmount > this.options.maxBufferedBytes) {
        conn.cut = true;
        this.slowConsumersDropped++;
        socket.terminate();
      } else if (!conn.readPaused && raw !== undefined && socket.bufferedAmount > this.options.maxBufferedBytes / 2) {
        conn.readPaused = true;
        socket.pause();
        raw.once('drain', () => {
          conn.readPaused = false;
          socket.resume();
        });
      }
    }
    this.held.length = 0;
  };

  startKeepalive(): void {
    this.stopKeepalive();
    this.keepaliveTimer = setInterval(() => this.keepaliveTick(), this.options.keepaliveIntervalMs);
    this.keepaliveTimer.unref();
  }

  stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** Cuts connections that sent nothing since the previous tick; pings the others. */
  keepaliveTick(): void {
    for (const conn of this.connections.values()) {
      if (conn.cut) continue;
      if (!conn.alive) {
        conn.cut = true;
        this.deadConnectionsCut++;
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }

  /**
   * Refuses new connections from now on, sends close `code` to every client, waits up to
   * `graceMs` for the close handshakes, then cuts whatever is still open.
   */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    this.closingAll = true;
    this.stopKeepalive();
    const closed: Promise<void>[] = [];
    for (const conn of this.connections.values()) {
      const socket = conn.socket;
      if (socket.readyState === CLOSED) continue;
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
      if (socket.readyState === OPEN) socket.close(code, reason);
      else socket.terminate();
    }
    if (closed.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(closed), deadline]);
    clearTimeout(timer);
    for (const conn of this.connections.values()) conn.socket.terminate();
    await Promise.all(closed);
  }
}

/** The TCP socket under a `ws` WebSocket (`ws` has no public accessor for it). */
function rawSocket(socket: WebSocket): Socket | undefined {
  return (socket as unknown as { _socket?: Socket })._socket ?? undefined;
}
