/**
 * A TCP proxy between the limiter and Redis that can hurt the replies: delay them (latency
 * spikes) or hold them back entirely (stalls, so that commands time out). Order is kept, so the
 * Redis protocol stays intact; held replies arrive late, as from an overloaded Redis.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

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

/**
 * The degrade scenario's fault program: after `afterMs`, for `forMs`, a 1 s cycle of latency
 * spikes (replies 150 ms late: 300 ms), stalls (no replies: 300 ms) and health (400 ms); then
 * healed. Tells `onPhase` when the fault starts and ends; returns a function that stops it.
 */
export function runFaultProgram(
  proxy: FaultProxy,
  afterMs: number,
  forMs: number,
  onPhase: (phase: 'fault' | 'recovered') => void,
): () => void {
  let faulting: NodeJS.Timeout | undefined;
  let ending: NodeJS.Timeout | undefined;
  const starting = setTimeout(() => {
    onPhase('fault');
    let step = 0;
    faulting = setInterval(() => {
      const phase = step++ % 10;
      if (phase === 0) proxy.setDelay(150);
      else if (phase === 3) {
        proxy.setDelay(0);
        proxy.stall();
      } else if (phase === 6) proxy.resume();
    }, 100);
    ending = setTimeout(() => {
      clearInterval(faulting);
      proxy.heal();
      onPhase('recovered');
    }, forMs);
  }, afterMs);
  return () => {
    clearTimeout(starting);
    clearInterval(faulting);
    clearTimeout(ending);
  };
}

export interface FaultProxyPlan {
  upstreamPort: number;
  /** When the fault starts, ms after the program is started; it lasts `faultForMs`. */
  faultAfterMs: number;
  faultForMs: number;
}

/** From the worker: the proxy's port, then each change of phase. */
export type FaultProxyMessage = { port: number } | { phase: 'fault' | 'recovered' };
/** To the worker: start the fault program, or close. */
export type FaultProxyCommand = 'start' | 'close';

/** A FaultProxy running its fault program in a worker thread (fault-proxy-worker.ts). */
export interface FaultProxyThread {
  readonly port: number;
  /** Starts the fault program now; `onPhase` hears when the fault starts and ends. */
  start(onPhase: (phase: 'fault' | 'recovered') => void): void;
  close(): Promise<void>;
}

const WORKER = new URL('./fault-proxy-worker.js', import.meta.url);

/**
 * Starts the proxy and its program in a worker thread of its own; in this thread when only the
 * TypeScript sources exist (the harness's own tests, under vitest).
 */
export async function startFaultProxy(plan: FaultProxyPlan): Promise<FaultProxyThread> {
  if (!existsSync(fileURLToPath(WORKER))) {
    const proxy = await FaultProxy.start(plan.upstreamPort);
    let stop: (() => void) | undefined;
    return {
      port: proxy.port,
      start: (onPhase) => (stop = runFaultProgram(proxy, plan.faultAfterMs, plan.faultForMs, onPhase)),
      close: async () => {
        stop?.();
        await proxy.close();
      },
    };
  }
  const worker = new Worker(WORKER, { workerData: plan });
  let onPhase: (phase: 'fault' | 'recovered') => void = () => {};
  const port = await new Promise<number>((resolve, reject) => {
    worker.on('message', (m: FaultProxyMessage) => {
      if ('port' in m) resolve(m.port);
      else onPhase(m.phase);
    });
    worker.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    port,
    start: (listener) => {
      onPhase = listener;
      worker.postMessage('start' satisfies FaultProxyCommand);
    },
    close: async () => {
      worker.postMessage('close' satisfies FaultProxyCommand);
      await exited;
    },
  };
}
