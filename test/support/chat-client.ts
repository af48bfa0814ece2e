/** A real `ws` client that queues the frames it receives, for asserting exact sequences. */
import WebSocket from 'ws';

export type Frame = Record<string, any>;

export class ChatClient {
  private readonly queue: Frame[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.queue.push(JSON.parse(data.toString()));
      this.waiter?.();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.waiter?.();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new ChatClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  /** Sends an object as JSON, a string as-is (text frame), or a Buffer as a binary frame. */
  send(frame: Frame | string | Buffer, options: { binary?: boolean } = {}): void {
    if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: options.binary ?? true });
    else this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame received (strictly in order). */
  async next(timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift() as Frame;
  }

  /** Frames up to (excluding) the pong of a sentinel ping: everything the server sent before it. */
  async drain(timeoutMs = 3000): Promise<Frame[]> {
    const ts = -Math.floor(Math.random() * 1e9) - 1;
    this.send({ type: 'ping', ts });
    const frames: Frame[] = [];
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame.type === 'pong' && frame.ts === ts) return frames;
      frames.push(frame);
    }
  }

  /** Frames received and not yet read. */
  get pending(): readonly Frame[] {
    return this.queue;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }
}

export async function connectAll(url: string, n: number): Promise<ChatClient[]> {
  return Promise.all(Array.from({ length: n }, () => ChatClient.connect(url)));
}
