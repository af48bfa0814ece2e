import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ChatConnection } from './chat-connection.js';
import { ConnectionRegistry } from './connection-registry.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * Just the members of a `ws` WebSocket that the registry uses, with a record of the calls and
 * full control of readyState and bufferedAmount.
 */
class FakeSocket extends EventEmitter {
  readyState = OPEN;
  bufferedAmount = 0;
  readonly sent: Array<{ data: string | Buffer; options: unknown }> = [];
  readonly closes: Array<[number, string]> = [];
  terminations = 0;
  pings = 0;
  /** What happened, in order: cork, uncork, send, terminate, ping, close, pause, resume. */
  readonly log: string[] = [];
  /** The TCP socket: corked and uncorked; emits 'drain' when a test says its output drained. */
  _socket: (EventEmitter & { cork: () => void; uncork: () => void }) | undefined = Object.assign(new EventEmitter(), {
    cork: () => this.log.push('cork'),
    uncork: () => this.log.push('uncork'),
  });

  send(data: string | Buffer, options: unknown): void {
    this.log.push('send');
    this.sent.push({ data, options });
  }
  close(code: number, reason: string): void {
    this.log.push('close');
    this.closes.push([code, reason]);
    this.readyState = CLOSING;
  }
  terminate(): void {
    this.log.push('terminate');
    this.terminations++;
    if (this.readyState !== CLOSED) this.readyState = CLOSING;
  }
  ping(): void {
    this.log.push('ping');
    this.pings++;
  }
  pause(): void {
    this.log.push('pause');
  }
  resume(): void {
    this.log.push('resume');
  }
  /** The peer's close frame or the TCP close arrives: ws emits 'close' once. */
  finishClose(): void {
    this.readyState = CLOSED;
    this.emit('close', 1005, Buffer.alloc(0));
  }
}

const asWs = (socket: FakeSocket): WebSocket => socket as unknown as WebSocket;

function registry(maxBufferedBytes = 100, keepaliveIntervalMs = 1000): ConnectionRegistry {
  return new ConnectionRegistry({ maxBufferedBytes, keepaliveIntervalMs });
}

/** Lets every queued process.nextTick callback run. */
const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('ConnectionRegistry: open, get, remove, size', () => {
  it('gives each new connection the next id, starting at 1, and finds it by socket', () => {
    const reg = registry();
    const a = new FakeSocket();
    const b = new FakeSocket();
    expect(reg.size).toBe(0);
    const connA = reg.open(asWs(a));
    const connB = reg.open(asWs(b));
    expect(connA).toBeInstanceOf(ChatConnection);
    expect(connA.id).toBe(1);
    expect(connB.id).toBe(2);
    expect(connA.limiterKey).toBe('conn:1');
    expect(connA.socket).toBe(a);
    expect(reg.size).toBe(2);
    expect(reg.get(asWs(a))).toBe(connA);
    expect(reg.get(asWs(b))).toBe(connB);
    expect(reg.get(asWs(new FakeSocket()))).toBeUndefined();
  });

  it('remove forgets the connection and marks it cut; nothing more is sent to it', () => {
    const reg = registry();
    const a = new FakeSocket();
    const b = new FakeSocket();
    const connA = reg.open(asWs(a));
    const connB = reg.open(asWs(b));
    reg.remove(connA);
    expect(connA.cut).toBe(true);
    expect(connB.cut).toBe(false);
    expect(reg.size).toBe(1);
    expect(reg.get(asWs(a))).toBeUndefined();
    expect(reg.get(asWs(b))).toBe(connB);
    reg.send(connA, 'x');
    expect(a.sent).toEqual([]);
  });

  it('listens to exactly message, pong, ping and error on the socket', () => {
    const reg = registry();
    const a = new FakeSocket();
    reg.open(asWs(a));
    expect(a.eventNames().sort()).toEqual(['error', 'message', 'ping', 'pong']);
    for (const event of ['error', 'message', 'ping', 'pong']) expect(a.listenerCount(event)).toBe(1);
  });

  it.each(['message', 'pong', 'ping'])('a %s from the client marks the connection alive', (event) => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    conn.alive = false;
    a.emit(event, Buffer.from('x'), false);
    expect(conn.alive).toBe(true);
  });

  it('swallows socket errors (a client fault must not crash the process) without marking alive', () => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    conn.alive = false;
    expect(() => a.emit('error', new Error('invalid UTF-8'))).not.toThrow();
    expect(conn.alive).toBe(false);
    expect(conn.cut).toBe(false);
    expect(reg.size).toBe(1);
  });
});

describe('ConnectionRegistry: send, corking and the slow-consumer cut', () => {
  it('sends as a text frame, corks the socket until the end of the tick, then uncorks it', async () => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    const bytes = Buffer.from('{"type":"pong","ts":1}');
    reg.send(conn, bytes);
    reg.send(conn, 'second');
    expect(a.sent).toEqual([
      { data: bytes, options: { binary: false } },
      { data: 'second', options: { binary: false } },
    ]);
    expect(a.sent[0]!.data).toBe(bytes);
    expect(conn.corked).toBe(true);
    expect(a.log).toEqual(['cork', 'send', 'send']);
    await nextTick();
    expect(conn.corked).toBe(false);
    expect(a.log).toEqual(['cork', 'send', 'send', 'uncork']);
    expect(a.terminations).toBe(0);
    expect(conn.cut).toBe(false);
  });

  it('corks again in a later tick', async () => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    reg.send(conn, 'one');
    await nextTick();
    reg.send(conn, 'two');
    expect(conn.corked).toBe(true);
    await nextTick();
    expect(conn.corked).toBe(false);
    expect(a.log).toEqual(['cork', 'send', 'uncork', 'cork', 'send', 'uncork']);
  });

  it('schedules one release per tick for every connection written to in it', async () => {
    const reg = registry();
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const conns = sockets.map((s) => reg.open(asWs(s)));
    const spy = vi.spyOn(process, 'nextTick');
    try {
      reg.send(conns[0]!, 'a');
      reg.send(conns[1]!, 'b');
      reg.send(conns[0]!, 'c');
      reg.send(conns[2]!, 'd');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    await nextTick();
    for (const [i, s] of sockets.entries()) {
      expect(conns[i]!.corked).toBe(false);
      expect(s.log.filter((e) => e === 'cork')).toHaveLength(1);
      expect(s.log.filter((e) => e === 'uncork')).toHaveLength(1);
    }
  });

  it('sends without corking when ws has no TCP socket under it', () => {
    const reg = registry();
    const a = new FakeSocket();
    a._socket = undefined;
    const conn = reg.open(asWs(a));
    // Catch the end-of-tick release to run it here, where a throw fails this test.
    let release: (() => void) | undefined;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- process.nextTick's own signature
    const spy = vi.spyOn(process, 'nextTick').mockImplementation((callback: Function) => {
      release = callback as () => void;
    });
    try {
      expect(() => reg.send(conn, 'x')).not.toThrow();
    } finally {
      spy.mockRestore();
    }
    expect(a.sent).toEqual([{ data: 'x', options: { binary: false } }]);
    expect(conn.corked).toBe(true);
    expect(() => release!()).not.toThrow();
    expect(conn.corked).toBe(false);
    expect(a.log).toEqual(['send']);
  });

  it.each([
    ['CONNECTING', CONNECTING],
    ['CLOSING', CLOSING],
    ['CLOSED', CLOSED],
  ])('sends nothing to a %s socket', async (_name, state) => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    a.readyState = state;
    reg.send(conn, 'x');
    expect(a.sent).toEqual([]);
    expect(a.log).toEqual([]);
    expect(conn.corked).toBe(false);
    await nextTick();
    expect(a.log).toEqual([]);
  });

  it('sends nothing to a connection already cut', async () => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    conn.cut = true;
    reg.send(conn, 'x');
    expect(a.log).toEqual([]);
    expect(conn.corked).toBe(false);
    await nextTick();
    expect(a.log).toEqual([]);
  });

  it('keeps a connection whose unsent output is exactly the bound', async () => {
    const reg = registry(100);
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    reg.send(conn, 'x');
    a.bufferedAmount = 100;
    await nextTick();
    expect(conn.cut).toBe(false);
    expect(a.terminations).toBe(0);
    expect(reg.slowConsumersDropped).toBe(0);
  });

  it('cuts a connection whose unsent output passes the bound after the tick, and counts it', async () => {
    const reg = registry(100);
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    const slowConn = reg.open(asWs(slow));
    const fastConn = reg.open(asWs(fast));
    reg.send(slowConn, 'x');
    reg.send(fastConn, 'x');
    slow.bufferedAmount = 101;
    expect(slow.terminations).toBe(0); // not before the end of the tick
    await nextTick();
    expect(slowConn.cut).toBe(true);
    expect(slow.log).toEqual(['cork', 'send', 'uncork', 'terminate']);
    expect(slow.closes).toEqual([]);
    expect(fastConn.cut).toBe(false);
    expect(fast.terminations).toBe(0);
    expect(reg.slowConsumersDropped).toBe(1);
    // Cut: nothing more goes out to it, and it stays registered until its close event.
    reg.send(slowConn, 'y');
    expect(slow.sent).toHaveLength(1);
    expect(reg.size).toBe(2);

    reg.send(fastConn, 'y');
    fast.bufferedAmount = 5000;
    await nextTick();
    expect(fast.terminations).toBe(1);
    expect(reg.slowConsumersDropped).toBe(2);
  });

  it('stops reading a connection whose unsent output passes half the bound, until it drains', async () => {
    const reg = registry(100);
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    reg.send(conn, 'x');
    a.bufferedAmount = 50; // half: still read
    await nextTick();
    expect(a.log).toEqual(['cork', 'send', 'uncork']);
    reg.send(conn, 'y');
    a.bufferedAmount = 51;
    await nextTick();
    expect(conn.readPaused).toBe(true);
    expect(a.log.slice(3)).toEqual(['cork', 'send', 'uncork', 'pause']);
    reg.send(conn, 'z'); // paused once only
    await nextTick();
    expect(a.log.slice(7)).toEqual(['cork', 'send', 'uncork']);
    a.bufferedAmount = 0;
    a._socket?.emit('drain');
    expect(conn.readPaused).toBe(false);
    expect(a.log.at(-1)).toBe('resume');
    expect(conn.cut).toBe(false);
    expect(reg.slowConsumersDropped).toBe(0);
  });

  it('does not cut or count again a connection cut during the tick', async () => {
    const reg = registry(100);
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    reg.send(conn, 'x');
    a.bufferedAmount = 1000;
    reg.remove(conn); // closed meanwhile
    await nextTick();
    expect(a.log).toEqual(['cork', 'send', 'uncork']);
    expect(reg.slowConsumersDropped).toBe(0);
  });
});

describe('ConnectionRegistry: keepalive', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings live connections at each tick and cuts a silent one at the next tick', () => {
    const reg = registry(100, 1000);
    const silent = new FakeSocket();
    const chatty = new FakeSocket();
    const silentConn = reg.open(asWs(silent));
    const chattyConn = reg.open(asWs(chatty));
    reg.startKeepalive();

    vi.advanceTimersByTime(999);
    expect(silent.pings + chatty.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(silent.pings).toBe(1);
    expect(chatty.pings).toBe(1);
    expect(silentConn.alive).toBe(false);
    expect(chattyConn.alive).toBe(false);

    chatty.emit('pong', Buffer.alloc(0));
    vi.advanceTimersByTime(1000);
    expect(silent.log).toEqual(['ping', 'terminate']);
    expect(silent.closes).toEqual([]);
    expect(silentConn.cut).toBe(true);
    expect(reg.deadConnectionsCut).toBe(1);
    expect(chatty.log).toEqual(['ping', 'ping']);
    expect(chattyConn.cut).toBe(false);

    // A cut connection (still registered until its close event) is neither pinged nor cut again.
    chatty.emit('message', Buffer.from('{}'), false);
    vi.advanceTimersByTime(1000);
    expect(silent.log).toEqual(['ping', 'terminate']);
    expect(reg.deadConnectionsCut).toBe(1);
    expect(chatty.log).toEqual(['ping', 'ping', 'ping']);
    reg.stopKeepalive();
  });

  it('keepaliveTick skips connections cut otherwise', () => {
    const reg = registry();
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    conn.cut = true;
    conn.alive = false;
    reg.keepaliveTick();
    conn.alive = true;
    reg.keepaliveTick();
    expect(a.log).toEqual([]);
    expect(conn.alive).toBe(true);
    expect(reg.deadConnectionsCut).toBe(0);
  });

  it('runs one interval even when started twice, and none once stopped', () => {
    const reg = registry(100, 1000);
    const a = new FakeSocket();
    const conn = reg.open(asWs(a));
    reg.startKeepalive();
    reg.startKeepalive();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(a.log).toEqual(['ping']);
    expect(conn.cut).toBe(false);
    reg.stopKeepalive();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(a.log).toEqual(['ping']);
    reg.stopKeepalive(); // stopping again is harmless
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive', () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setInterval');
    const reg = registry(100, 60_000);
    try {
      reg.startKeepalive();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![1]).toBe(60_000);
      const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      reg.stopKeepalive();
      spy.mockRestore();
    }
  });
});

describe('ConnectionRegistry: closeAll and verifyUpgrade', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const verdict = (reg: ConnectionRegistry): unknown[] => {
    const accept = vi.fn();
    reg.verifyUpgrade({}, accept);
    expect(accept).toHaveBeenCalledTimes(1);
    return accept.mock.calls[0]!;
  };

  it('accepts upgrades until the shutdown close begins, then answers 503', async () => {
    const reg = registry();
    expect(reg.closing).toBe(false);
    expect(verdict(reg)).toEqual([true]);
    await reg.closeAll(1001, 'bye', 100);
    expect(reg.closing).toBe(true);
    expect(verdict(reg)).toEqual([false, 503]);
  });

  it('sends 1001 to every open socket and returns as soon as every handshake is done', async () => {
    const reg = registry();
    const a = new FakeSocket();
    const b = new FakeSocket();
    reg.open(asWs(a));
    reg.open(asWs(b));
    let done = false;
    const closing = reg.closeAll(1001, 'server shutting down', 5000).then(() => {
      done = true;
    });
    expect(a.closes).toEqual([[1001, 'server shutting down']]);
    expect(b.closes).toEqual([[1001, 'server shutting down']]);
    a.finishClose();
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false); // b has not answered yet
    b.finishClose();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    await closing;
    expect(vi.getTimerCount()).toBe(0); // the grace timer is cleared
    expect(a.log).toEqual(['close', 'terminate']);
    expect(b.log).toEqual(['close', 'terminate']);
  });

  it('waits the whole grace for a silent client, then terminates it and waits for its close', async () => {
    const reg = registry();
    const polite = new FakeSocket();
    const silent = new FakeSocket();
    reg.open(asWs(polite));
    reg.open(asWs(silent));
    // Terminating destroys the TCP socket: ws emits 'close' a little later.
    silent.terminate = () => {
      silent.log.push('terminate');
      silent.terminations++;
      setTimeout(() => silent.finishClose(), 50);
    };
    let done = false;
    const closing = reg.closeAll(1001, 'bye', 1000).then(() => {
      done = true;
    });
    polite.finishClose();
    await vi.advanceTimersByTimeAsync(999);
    expect(silent.terminations).toBe(0);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(silent.log).toEqual(['close', 'terminate']);
    expect(done).toBe(false); // its close event has not come yet
    await vi.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    await closing;
    expect(silent.readyState).toBe(CLOSED);
  });

  it('terminates at once a socket not open, and skips a closed one', async () => {
    const reg = registry();
    const closingSocket = new FakeSocket();
    const closedSocket = new FakeSocket();
    reg.open(asWs(closingSocket));
    reg.open(asWs(closedSocket));
    closingSocket.readyState = CLOSING;
    closedSocket.readyState = CLOSED;
    closingSocket.terminate = () => {
      closingSocket.log.push('terminate');
      closingSocket.finishClose();
    };
    const closing = reg.closeAll(1001, 'bye', 1000);
    expect(closingSocket.log).toEqual(['terminate']);
    expect(closingSocket.closes).toEqual([]);
    expect(closedSocket.log).toEqual([]);
    expect(closedSocket.listenerCount('close')).toBe(0);
    await closing;
    expect(closedSocket.log).toEqual(['terminate']);
  });

  it('returns at once, with no timer, when every socket is already closed', async () => {
    const reg = registry();
    const closed = new FakeSocket();
    reg.open(asWs(closed));
    closed.readyState = CLOSED;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      await reg.closeAll(1001, 'bye', 1000);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(closed.log).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops the keepalive', async () => {
    const reg = registry(100, 1000);
    const a = new FakeSocket();
    reg.open(asWs(a));
    reg.startKeepalive();
    a.close = (code, reason) => {
      a.log.push('close');
      a.closes.push([code, reason]);
      a.finishClose();
    };
    await reg.closeAll(1001, 'bye', 5000);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(a.log).toEqual(['close', 'terminate']);
  });
});

describe('ConnectionRegistry with real ws sockets', () => {
  let server: WebSocketServer;
  let reg: ConnectionRegistry;
  let url: string;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    reg = registry(1024 * 1024, 30_000);
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: reg.verifyUpgrade });
    server.on('connection', (socket) => {
      const conn = reg.open(socket);
      socket.on('close', () => reg.remove(conn));
    });
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  });

  afterEach(async () => {
    for (const client of clients) client.terminate();
    clients.length = 0;
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A connected client and the server side's connection. */
  async function connect(): Promise<{ client: WebSocket; conn: ChatConnection }> {
    const client = new WebSocket(url);
    clients.push(client);
    const [[socket]] = await Promise.all([once(server, 'connection'), once(client, 'open')]);
    return { client, conn: reg.get(socket as WebSocket)! };
  }

  it('delivers strings and buffers as text frames, in order, corking the TCP socket', async () => {
    const { client, conn } = await connect();
    const raw = (conn.socket as unknown as { _socket: { writableCorked: number } })._socket;
    const received: Array<[string, boolean]> = [];
    client.on('message', (data: RawData, isBinary: boolean) => received.push([data.toString(), isBinary]));
    reg.send(conn, Buffer.from('{"type":"join","room":"r","user":"u","members":1}'));
    reg.send(conn, '{"type":"pong","ts":5}');
    expect(raw.writableCorked).toBe(1);
    await nextTick();
    expect(raw.writableCorked).toBe(0);
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received).toEqual([
      ['{"type":"join","room":"r","user":"u","members":1}', false],
      ['{"type":"pong","ts":5}', false],
    ]);
    expect(conn.cut).toBe(false);
  });

  it('pings the client at a tick and terminates it at the next if it stays silent', async () => {
    const { client, conn } = await connect();
    const pinged = once(client, 'ping');
    reg.keepaliveTick();
    expect(conn.alive).toBe(false);
    await pinged;
    await vi.waitFor(() => expect(conn.alive).toBe(true)); // its automatic pong came back
    conn.alive = false; // as if the pong never came
    const closed = once(client, 'close');
    reg.keepaliveTick();
    const [code] = await closed;
    expect(code).toBe(1006);
    expect(reg.deadConnectionsCut).toBe(1);
    await vi.waitFor(() => expect(reg.size).toBe(0));
  });

  it('closes every client with 1001 and the reason, then refuses upgrades with 503', async () => {
    const first = await connect();
    const second = await connect();
    const closes = [once(first.client, 'close'), once(second.client, 'close')];
    const started = Date.now();
    await reg.closeAll(1001, 'server shutting down', 5000);
    expect(Date.now() - started).toBeLessThan(4000); // the clients answered: no wait for the grace
    for (const close of closes) {
      const [code, reason] = await close;
      expect(code).toBe(1001);
      expect(String(reason)).toBe('server shutting down');
    }
    expect(reg.size).toBe(0);

    const late = new WebSocket(url);
    clients.push(late);
    late.on('error', () => {});
    const [, response] = (await once(late, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(503);
  });
});
