/**
 * A TCP proxy between the limiter and Redis that can hurt the replies: delay them (latency
 * spikes) or hold them back entirely (stalls, so that commands time out). Order is kept, so the
 * Redis protocol stays intact; held replies arrive late, as from an overloaded Redis.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export class FaultProxy {
  private delayMs = 0;
  private stalled = false;
  private readonly sockets = new Set<Socket>();
  private readonly pending: (() => void)[] = [];

  private constructor(private readonly server: Server) {}

  static async start(upstreamPort: number): Promise<FaultProxy> {
    // (the proxy exists before the first connection can arrive: the server is not listening yet)
    const server = createServer((client) => proxy.pipe(client, upstreamPort));
    const proxy = new FaultProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Replies are delayed by `ms` (0: none). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Replies are held until resume(). */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const release of this.pending.splice(0)) release();
  }

  heal(): void {
    this.setDelay(0);
    this.resume();
  }

  private pipe(client: Socket, upstreamPort: number): void {
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => upstream.write(d));
    // Replies leave in order: each waits for the one before it, then for the fault in force
    // when its turn comes (a stall holds it until resume(); a delay postpones it).
    let last = Promise.resolve();
    upstream.on('data', (d: Buffer) => {
      last = last.then(
        () =>
          new Promise<void>((resolve) => {
            const write = () => {
              if (!client.destroyed) client.write(d);
              resolve();
            };
            if (this.stalled) this.pending.push(write);
            else if (this.delayMs > 0) setTimeout(write, this.delayMs);
            else write();
          }),
      );
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    this.heal();
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
