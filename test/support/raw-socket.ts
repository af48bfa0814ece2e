/**
 * A plain TCP connection for what a `ws` client will not do: send an HTTP request in pieces, read
 * the raw answer, or hold a WebSocket open and leave the server's close frame unanswered.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

const KEY = randomBytes(16).toString('base64');

/** The headers of a WebSocket upgrade request for `path` (after its request line). */
export const UPGRADE_HEADERS = `Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

export class RawSocket {
  private received = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      for (const wake of this.waiters) wake();
    });
    socket.on('error', () => {});
    // not once(socket, 'close'): it would reject on an 'error' (EPIPE when the server closes
    // while this side still writes), a rejection nobody awaits
    this.closed = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
      for (const wake of this.waiters) wake();
    });
  }

  /**
   * `allowHalfOpen`: when the server ends its side, keep this side open (node's default ends it
   * too), as a client that never closes would.
   */
  static async connect(port: number, { allowHalfOpen = false } = {}): Promise<RawSocket> {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    await once(socket, 'connect');
    return new RawSocket(socket);
  }

  /** A WebSocket on `path`, opened by hand: it answers nothing the server sends afterwards. */
  static async openWebSocket(port: number, path = '/ws'): Promise<RawSocket> {
    const raw = await RawSocket.connect(port);
    raw.write(`GET ${path} HTTP/1.1\r\n${UPGRADE_HEADERS}`);
    const head = await raw.waitFor((data) => data.includes('\r\n\r\n'));
    if (!head.toString().startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${head.toString()}`);
    return raw;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Everything received so far. */
  get data(): Buffer {
    return this.received;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Waits (bounded) until what was received satisfies `done`; returns it. */
  async waitFor(done: (data: Buffer) => boolean, timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed)
        throw new Error(`not received within ${timeoutMs} ms: ${JSON.stringify(this.received.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
    return this.received;
  }

  /** Sends a masked close frame with `code` (the client's half of the close handshake). */
  sendClose(code: number): void {
    const mask = randomBytes(4);
    const payload = Buffer.from([code >> 8, code & 0xff]);
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.write(Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The code of the first server close frame in `data` (after the HTTP head), if one arrived. */
export function closeCodeIn(data: Buffer): number | undefined {
  const start = data.indexOf('\r\n\r\n') + 4;
  let at = start;
  while (at + 2 <= data.length) {
    const opcode = (data[at] as number) & 0x0f;
    let length = (data[at + 1] as number) & 0x7f;
    let header = 2;
    if (length === 126) {
      length = data.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      return undefined; // the server sends nothing that large here
    }
    if (at + header + length > data.length) return undefined;
    if (opcode === 0x8) return length >= 2 ? data.readUInt16BE(at + header) : 1005;
    at += header + length;
  }
  return undefined;
}
