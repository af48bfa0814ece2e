/**
 * The chat contract (docs/CONTRACT.md), run unchanged against every profile over real sockets.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatClient, connectAll, type Frame } from './support/chat-client.js';
import { closeCodeIn, RawSocket, UPGRADE_HEADERS } from './support/raw-socket.js';
import { RedisServer } from './support/redis-server.js';
import { programCommand } from './support/system-programs.js';
import { RedisCluster } from '../tools/redis-cluster.js';
import {
  CONTRACT_PROFILES,
  type Profile,
  PROFILE_GO,
  PROFILES,
  PROFILES_A,
  runToExit,
  ServerProcess,
} from './support/server-process.js';

interface Vector {
  name: string;
  before: string[];
  frame: string;
  binary?: boolean;
  reply: Frame[];
}
const vectors: Vector[] = JSON.parse(readFileSync(new URL('./vectors/messages.json', import.meta.url), 'utf8')).vectors;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The answer of both TypeScript profiles to an upgrade request for any path but /ws, byte for byte
 * (src/core/protocol/upgrade.ts). Another server (CONTRACT_SERVER_CMD) is held to what the
 * contract requires of it: the status line, `Connection: close` and no body.
 */
const UPGRADE_NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const OWN_PROFILES = !process.env.CONTRACT_SERVER_CMD;

function expectUpgradeNotFound(answer: string): void {
  if (OWN_PROFILES) {
    expect(answer).toBe(UPGRADE_NOT_FOUND);
    return;
  }
  const end = answer.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const head = answer.slice(0, end + 2);
  expect(head).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  expect(head).toMatch(/\r\nConnection: *close *\r\n/i);
  expect(head).not.toMatch(/\r\nContent-Length: *[1-9]/i);
  expect(head).not.toMatch(/\r\nTransfer-Encoding:/i);
  expect(answer.length).toBe(end + 4); // no body
}

/** Sends a WebSocket upgrade request for the raw request-target `target` on a new connection. */
async function upgrade(port: number, target: string, options?: { allowHalfOpen?: boolean }): Promise<RawSocket> {
  const raw = await RawSocket.connect(port, options);
  raw.write(`GET ${target} HTTP/1.1\r\n${UPGRADE_HEADERS}`);
  return raw;
}

const endOfHead = (data: Buffer) => data.includes('\r\n\r\n');

/** Error frames are compared on type, code and ref; message must be non-empty text. */
function comparable(frame: Frame): Frame {
  if (frame.type !== 'error') return frame;
  expect(typeof frame.message).toBe('string');
  expect(frame.message.length).toBeGreaterThan(0);
  const { message: _message, ...rest } = frame;
  if (rest.code === 'rate_limited') {
    expect(Number.isInteger(rest.retryAfterMs) && rest.retryAfterMs > 0).toBe(true);
  } else {
    expect(rest).not.toHaveProperty('retryAfterMs');
  }
  return rest;
}

async function joinAll(clients: ChatClient[], room: string | undefined, prefix = 'u'): Promise<void> {
  for (const [i, client] of clients.entries()) {
    client.send({ type: 'join', user: `${prefix}${i}`, ...(room ? { room } : {}) });
    // Every member, the joiner included, sees the join with the new member count.
    for (const member of clients.slice(0, i + 1)) {
      expect(await member.next()).toEqual({
        type: 'join',
        room: room ?? 'public',
        user: `${prefix}${i}`,
        members: i + 1,
      });
    }
  }
}

/**
 * Every profile and the Go reference server; and Profile A once more with its rooms on the Redis bus (CHAT_BUS=redis, one
 * process), on one Redis and on a Redis Cluster of three masters: the contract holds whichever
 * way room events travel.
 */
const profileA = PROFILES.find((p) => p.name.startsWith('A'));
const CONTRACT_RUNS: { name: string; profile: Profile; redisBus: false | 'one' | 'cluster' }[] = [
  ...CONTRACT_PROFILES.map((profile) => ({ name: profile.name, profile, redisBus: false as const })),
  ...(profileA
    ? [
        { name: `${profileA.name}, CHAT_BUS=redis`, profile: profileA, redisBus: 'one' as const },
        {
          name: `${profileA.name}, CHAT_BUS=redis on a Redis Cluster`,
          profile: profileA,
          redisBus: 'cluster' as const,
        },
      ]
    : []),
];

describe.each(CONTRACT_RUNS)('contract: profile $name', ({ profile, redisBus }) => {
  /** The server's HTTP layer is Node's (a TypeScript profile): what its parser answers is pinned byte for byte. */
  const nodeHttp = OWN_PROFILES && profile !== PROFILE_GO;
  let server: ServerProcess;
  let redis: { stop(): Promise<void> } | undefined;
  const open: ChatClient[] = [];
  const connect = async (n = 1) => {
    const clients = await connectAll(server.wsUrl, n);
    open.push(...clients);
    return clients;
  };

  beforeAll(async () => {
    if (!redisBus) {
      server = await ServerProcess.start(profile);
      return;
    }
    if (redisBus === 'one') {
      const one = await RedisServer.start();
      redis = one;
      server = await ServerProcess.start(profile, { CHAT_BUS: 'redis', REDIS_URL: one.url });
    } else {
      const [redisServer] = programCommand('redis-server');
      const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, redisServer });
      redis = cluster;
      server = await ServerProcess.start(profile, { CHAT_BUS: 'redis', REDIS_CLUSTER_NODES: cluster.seeds });
    }
    await server.waitForBus();
  });
  // A failed test must not leave its clients in rooms that later tests count.
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  describe('message vectors (test/vectors/messages.json)', () => {
    it.each(vectors)('$name', async (vector) => {
      // Every vector starts alone on the server: earlier connections have left their rooms.
      expect((await server.waitForStats((s) => s.connections === 0)).connections).toBe(0);
      const client = await ChatClient.connect(server.wsUrl);
      try {
        for (const frame of vector.before) client.send(frame);
        await client.drain();
        client.send(vector.binary ? Buffer.from(vector.frame) : vector.frame);
        const reply = await client.drain();
        expect(reply.map(comparable)).toEqual(vector.reply);
      } finally {
        await client.close();
      }
    });
  });

  it('serves GET /health and GET /stats as JSON', async () => {
    const health = await server.getJson('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const stats = await server.getJson('/stats');
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body).sort()).toEqual(
      ['connections', 'cpuSystemMicros', 'cpuUserMicros', 'heapUsedBytes', 'rooms', 'rssBytes', 'uptimeMs'].sort(),
    );
    for (const value of Object.values(stats.body)) expect(Number.isInteger(value) && (value as number) >= 0).toBe(true);
  });

  describe('WebSocket upgrades: the path before the first ? must be exactly /ws', () => {
    it('opens a chat with a query string', async () => {
      await expect(ChatClient.connect(`ws://127.0.0.1:${server.port}/chat`)).rejects.toThrow();
      const ok = await ChatClient.connect(`${server.wsUrl}?token=ignored`);
      ok.send({ type: 'ping', ts: 1 });
      expect(await ok.next()).toEqual({ type: 'pong', ts: 1 });
      await ok.close();
    });

    it.each(['/ws', '/ws?x=1', '/ws?'])('%s: 101, a WebSocket', async (target) => {
      const raw = await upgrade(server.port, target);
      expect((await raw.waitFor(endOfHead)).toString('latin1')).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      raw.sendClose(1000); // the server answers the close handshake, and closes
      expect(closeCodeIn(await raw.waitFor((d) => closeCodeIn(d) !== undefined))).toBe(1000);
      await raw.closed;
    });

    // No normalisation, no decoding, no fragment (a # is part of the path), no absolute form
    // (a WebSocket client sends the origin form, RFC 6455 §4.1), no `*`.
    it.each([
      '/ws#f',
      '/ws/../ws',
      '/foo',
      '/ws/',
      '/WS',
      '//ws',
      '/health',
      '/ws%2F',
      '*',
      'http://127.0.0.1:PORT/ws',
      '/ws#f?x=1',
    ])('%s: 404 with Connection: close, then the connection is closed', async (target) => {
      const raw = await upgrade(server.port, target.replace('PORT', String(server.port)));
      expect((await raw.waitFor(endOfHead)).toString('latin1')).toMatch(/^HTTP\/1\.1 404 /);
      await raw.closed;
      expectUpgradeNotFound(raw.data.toString('latin1'));
    });

    it('GET /ws without an upgrade is a plain HTTP request: 404', async () => {
      const res = await fetch(`${server.httpUrl}/ws`);
      expect(res.status).toBe(404);
      if (OWN_PROFILES) expect(await res.json()).toEqual({ error: 'not_found', message: 'Cannot GET /ws' });
    });
  });

  it('routes HTTP requests by their exact path: nothing decoded, case-sensitive, no extra slash', async () => {
    for (const path of ['/%68ealth', '/health%3F', '/h%zzealth', '/health%', '/Health', '/health/', '//health']) {
      const res = await fetch(server.httpUrl + path);
      // a malformed percent-escape: a path to Node's parser (404); an HTTP layer that refuses
      // the request-target (Go's net/http: 400) meets the contract too (CONTRACT.md)
      if (!nodeHttp && path.includes('%') && !/%[0-9A-Fa-f]{2}/.test(path) && res.status === 400) continue;
      expect(res.status, path).toBe(404);
      if (OWN_PROFILES) expect(await res.json(), path).toEqual({ error: 'not_found', message: `Cannot GET ${path}` });
    }
    expect((await fetch(`${server.httpUrl}/health?%zz`)).status).toBe(200); // the query is not the path
  });

  it('leaves a request that is not HTTP/1.1 to the HTTP parser: 400, no body, connection closed', async () => {
    const raw = await RawSocket.connect(server.port);
    raw.write('GET health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'); // a request-target must start with /
    await raw.closed;
    const answer = raw.data.toString('latin1');
    // Node's own answer in every TypeScript profile; another server is held to a 400
    if (nodeHttp) expect(answer).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('fans a chat out to every member, the sender included, with a growing seq', async () => {
    const clients = await connect(3);
    await joinAll(clients, 'fanout');
    const [a, b] = clients as [ChatClient, ChatClient, ChatClient];
    a.send({ type: 'chat', room: 'fanout', text: 'one', id: 'm1', ts: 1000.5 });
    const one = { type: 'chat', room: 'fanout', user: 'u0', text: 'one', id: 'm1', ts: 1000.5, seq: 1 };
    expect(await b.next()).toEqual(one);
    // b sends once a's chat has reached it: the contract orders one sender's frames, not two connections'
    b.send({ type: 'chat', room: 'fanout', text: 'two' });
    for (const client of clients) {
      if (client !== b) expect(await client.next()).toEqual(one);
      expect(await client.next()).toEqual({ type: 'chat', room: 'fanout', user: 'u1', text: 'two', seq: 2 });
    }
    await Promise.all(clients.map((c) => c.close()));
  });

  it('keeps rooms isolated and seq per room', async () => {
    const [a1, a2, b1] = (await connect(3)) as [ChatClient, ChatClient, ChatClient];
    await joinAll([a1, a2], 'iso-a', 'a');
    await joinAll([b1], 'iso-b', 'b');
    a1.send({ type: 'chat', room: 'iso-a', text: 'for a' });
    b1.send({ type: 'chat', room: 'iso-b', text: 'for b' });
    expect(await a2.next()).toMatchObject({ room: 'iso-a', text: 'for a', seq: 1 });
    expect(await b1.next()).toMatchObject({ room: 'iso-b', text: 'for b', seq: 1 });
    // Nothing else arrived anywhere: the next frame each client gets is its own sentinel pong.
    expect(await a2.drain()).toEqual([]);
    expect(await a1.drain()).toEqual([expect.objectContaining({ text: 'for a' })]);
    expect(await b1.drain()).toEqual([]);
    await Promise.all([a1, a2, b1].map((c) => c.close()));
  });

  it('delivers one sender’s messages in order, even sent back to back with the join', async () => {
    const [sender, reader] = (await connect(2)) as [ChatClient, ChatClient];
    reader.send({ type: 'join', room: 'order', user: 'reader' });
    expect(await reader.next()).toMatchObject({ type: 'join', members: 1 });
    // join and nine chats in one write burst: each must be handled after the one before.
    sender.send({ type: 'join', room: 'order', user: 'sender' });
    for (let i = 0; i < 9; i++) sender.send({ type: 'chat', room: 'order', text: `m${i}`, id: `${i}` });
    expect(await reader.next()).toMatchObject({ type: 'join', user: 'sender', members: 2 });
    for (let i = 0; i < 9; i++) {
      expect(await reader.next()).toEqual({
        type: 'chat',
        room: 'order',
        user: 'sender',
        text: `m${i}`,
        id: `${i}`,
        seq: i + 1,
      });
    }
    await Promise.all([sender.close(), reader.close()]);
  });

  it('tells the remaining members and the leaver about a leave', async () => {
    const clients = (await connect(3)) as [ChatClient, ChatClient, ChatClient];
    await joinAll(clients, undefined, 'l');
    clients[1].send({ type: 'leave', id: 'bye' });
    for (const client of clients) {
      expect(await client.next()).toEqual({ type: 'leave', room: 'public', user: 'l1', members: 2 });
    }
    clients[0].send({ type: 'chat', text: 'still here?' });
    expect(await clients[2].next()).toMatchObject({ type: 'chat', text: 'still here?' });
    expect(await clients[1].drain()).toEqual([]);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('announces a closed or dropped connection as a leave in every room it was in', async () => {
    const [stayer, goer, dropped] = (await connect(3)) as [ChatClient, ChatClient, ChatClient];
    for (const room of ['d1', 'd2']) await joinAll([stayer, goer, dropped], room, 'd');
    await goer.close();
    const leaves = [await stayer.next(), await stayer.next()];
    expect(leaves).toEqual(
      expect.arrayContaining([
        { type: 'leave', room: 'd1', user: 'd1', members: 2 },
        { type: 'leave', room: 'd2', user: 'd1', members: 2 },
      ]),
    );
    dropped.ws.terminate(); // no close frame: the TCP connection just ends
    const more = [await stayer.next(), await stayer.next()];
    expect(more.map((f) => [f.type, f.room, f.members]).sort()).toEqual([
      ['leave', 'd1', 1],
      ['leave', 'd2', 1],
    ]);
    await stayer.close();
  });

  it('enforces the per-connection bucket: 10 frames, then rate_limited with retryAfterMs', async () => {
    const [client] = (await connect(1)) as [ChatClient];
    client.send({ type: 'join', room: 'rl', user: 'spammer' });
    for (let i = 0; i < 8; i++) client.send({ type: 'chat', room: 'rl', text: `${i}` });
    client.send('not json'); // invalid frames count too: this is the 10th
    client.send({ type: 'chat', room: 'rl', text: 'over', id: 'over' });
    client.send({ type: 'nonsense', id: 'n' }); // over the limit: rate_limited beats unknown_type
    const frames = await client.drain();
    expect(frames.slice(0, 9).map((f) => f.type)).toEqual(['join', ...Array(8).fill('chat')]);
    expect(comparable(frames[9] as Frame)).toEqual({ type: 'error', code: 'bad_json' });
    const limited = frames.slice(10).map(comparable);
    expect(limited).toEqual([
      { type: 'error', code: 'rate_limited', ref: 'over', retryAfterMs: expect.any(Number) },
      { type: 'error', code: 'rate_limited', ref: 'n', retryAfterMs: expect.any(Number) },
    ]);
    expect(frames[10]?.retryAfterMs).toBeLessThanOrEqual(100);
    // A limited message is dropped, never broadcast: the room saw 8 chats only.
    await sleep((frames[11]?.retryAfterMs as number) + 50);
    client.send({ type: 'chat', room: 'rl', text: 'after', id: 'after' });
    expect(await client.next()).toMatchObject({ type: 'chat', text: 'after', seq: 9 });
    await client.close();
  });

  it('never charges a valid ping or pong, but charges an invalid one', async () => {
    const [client] = (await connect(1)) as [ChatClient];
    for (let i = 0; i < 10; i++) client.send({ type: 'leave', room: `x${i}` }); // spend the bucket
    for (let i = 0; i < 30; i++) client.send({ type: 'ping', ts: i });
    for (let i = 0; i < 5; i++) client.send({ type: 'pong' });
    client.send({ type: 'ping', ts: 'bad', id: 'bad-ping' });
    const frames = await client.drain();
    expect(frames.slice(0, 10).map((f) => f.code)).toEqual(Array(10).fill('not_joined'));
    expect(frames.slice(10, 40)).toEqual(Array.from({ length: 30 }, (_, i) => ({ type: 'pong', ts: i })));
    expect(frames.slice(40).map(comparable)).toEqual([
      { type: 'error', code: 'rate_limited', ref: 'bad-ping', retryAfterMs: expect.any(Number) },
    ]);
    await client.close();
  });

  it('answers ping without ts with the server time', async () => {
    const [client] = (await connect(1)) as [ChatClient];
    const before = Date.now();
    client.send({ type: 'ping' });
    const pong = await client.next();
    expect(pong.type).toBe('pong');
    expect(pong.ts).toBeGreaterThanOrEqual(before - 1000);
    expect(pong.ts).toBeLessThanOrEqual(Date.now() + 1000);
    await client.close();
  });

  it("writes an echoed ts in JSON's shortest form, and -0 as 0", async () => {
    const [client] = (await connect(1)) as [ChatClient];
    const texts: string[] = [];
    client.ws.on('message', (data: Buffer) => texts.push(data.toString()));
    const forms: [string, string][] = [
      ['-0', '0'],
      ['-0.0e0', '0'],
      ['1.50e3', '1500'],
      ['1E-7', '1e-7'],
      ['1e21', '1e+21'],
      ['100000000000000000000', '100000000000000000000'],
      ['0.10', '0.1'],
      ['-12.50', '-12.5'],
      ['5e-324', '5e-324'],
    ];
    for (const [sent] of forms) client.send(`{"type":"ping","ts":${sent}}`);
    for (const _ of forms) await client.next();
    expect(texts).toEqual(forms.map(([, echoed]) => `{"type":"pong","ts":${echoed}}`));
    client.send({ type: 'join', room: 'ts-form', user: 'u' });
    await client.next();
    client.send('{"type":"chat","room":"ts-form","text":"a","ts":-0}');
    await client.next();
    expect(texts.at(-1)).toBe('{"type":"chat","room":"ts-form","user":"u","text":"a","ts":0,"seq":1}');
  });

  it('closes with 1009 on a frame over 4096 bytes, and accepts one of exactly 4096', async () => {
    const [client] = (await connect(1)) as [ChatClient];
    const exact = (n: number) => {
      const head = '{"type":"ping","id":"';
      const tail = '"}';
      return head + 'x'.repeat(n - head.length - tail.length) + tail;
    };
    client.send({ type: 'join', user: 'big' });
    await client.drain();
    const frame4096 = exact(4096);
    expect(Buffer.byteLength(frame4096)).toBe(4096);
    client.send(frame4096); // a 4096-byte frame is accepted (its id is too long: invalid_message)
    expect(comparable(await client.next())).toEqual({ type: 'error', code: 'invalid_message' });
    client.send(exact(4097));
    expect((await client.closed).code).toBe(1009);
  });

  it('closes with 1007 on a text frame that is not UTF-8 (RFC 6455), and keeps serving others', async () => {
    const [client, other] = (await connect(2)) as [ChatClient, ChatClient];
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    other.send({ type: 'ping', ts: 7 });
    expect(await other.next()).toEqual({ type: 'pong', ts: 7 });
    await other.close();
  });

  it.each([
    { fatal: 'a frame over 4096 bytes', code: 1009, frame: Buffer.from('x'.repeat(5000)) },
    { fatal: 'a text frame that is not UTF-8', code: 1007, frame: Buffer.from([0x7b, 0xff]) },
  ])('answers every frame read before $fatal, then closes with $code', async ({ code, frame }) => {
    for (let round = 0; round < 5; round++) {
      const [sender, observer] = (await connect(2)) as [ChatClient, ChatClient];
      observer.send({ type: 'join', room: 'fatal', user: 'observer' });
      await observer.drain();
      // back to back: the server reads all four before it answers any
      sender.send({ type: 'join', room: 'fatal', user: 'sender' });
      sender.send({ type: 'chat', room: 'fatal', text: 'last words', id: 'c1' });
      sender.send({ type: 'ping', ts: 5 });
      sender.ws.send(frame, { binary: false });
      expect((await sender.closed).code).toBe(code);
      expect(sender.pending).toMatchObject([
        { type: 'join', room: 'fatal', user: 'sender', members: 2 },
        { type: 'chat', room: 'fatal', user: 'sender', text: 'last words', id: 'c1' },
        { type: 'pong', ts: 5 },
      ]);
      expect(sender.pending).toHaveLength(3);
      expect(await observer.next()).toMatchObject({ type: 'join', user: 'sender' });
      expect(await observer.next()).toMatchObject({ type: 'chat', text: 'last words' });
      expect(await observer.next()).toMatchObject({ type: 'leave', user: 'sender', members: 1 });
      await observer.close();
    }
  });

  it('survives a storm of malformed frames and answers each one', async () => {
    const [client] = (await connect(1)) as [ChatClient];
    const junk: (string | Buffer)[] = [
      '',
      ' ',
      '{}',
      '{"type":{}}',
      '{"type":["chat"]}',
      '{"type":"chat","text":{"a":1}}',
      '{"type":"join","user":[]}',
      '{"type":"chat","text":"x","ts":{}}',
      '"\\u0000"',
      '{"type":"chat","text":"\\u0000"}',
      'NaN',
      '-',
      '{"a":1e999999}',
      '{"type":"join","user":"a","room":"b","room":"c"}',
      Buffer.alloc(0),
      Buffer.from([0, 1, 2]),
      '{"constructor":{"prototype":{"x":1}},"type":"ping"}',
      '{"type":"toString"}',
      '{"type":"__proto__"}',
      '{"type":"hasOwnProperty"}',
      '{"type":"$rejected"}',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    ];
    // each frame's answer, in order (a JSON duplicate key keeps the last value, as JSON.parse does)
    const expected = [
      'bad_json',
      'bad_json',
      'invalid_message',
      'invalid_message',
      'invalid_message',
      'invalid_message',
      'invalid_message',
      'invalid_message',
      'bad_json',
      'not_joined',
      'bad_json',
      'bad_json',
      'invalid_message',
      'join c a',
      'invalid_message',
      'invalid_message',
      'invalid_message',
      'unknown_type',
      'unknown_type',
      'unknown_type',
      'unknown_type',
      'bad_json',
    ];
    const answers: string[] = [];
    for (let i = 0; i < junk.length; i += 5) {
      // five at a time with pauses, so the bucket refills and every frame gets its own answer
      for (const frame of junk.slice(i, i + 5)) client.send(frame); // strings as text frames, Buffers as binary
      for (const reply of await client.drain())
        answers.push(reply.type === 'error' ? comparable(reply).code : `${reply.type} ${reply.room} ${reply.user}`);
      await sleep(550);
    }
    expect(answers).toEqual(expected);
    expect((await server.getJson('/health')).status).toBe(200);
    await client.close();
  });

  it('leaves no connection or room behind after 500 connect/join/disconnect cycles', async () => {
    const cycle = async (i: number) => {
      const client = await ChatClient.connect(server.wsUrl);
      client.send({ type: 'join', room: `churn-${i % 50}`, user: `c${i}` });
      const joined = await client.next();
      expect(joined).toMatchObject({ type: 'join', user: `c${i}` });
      if (i % 2 === 0) await client.close();
      else client.ws.terminate();
    };
    for (let i = 0; i < 500; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, k) => cycle(i + k)));
    }
    const stats = await server.waitForStats((s) => s.connections === 0 && s.rooms === 0);
    expect({ connections: stats.connections, rooms: stats.rooms }).toEqual({ connections: 0, rooms: 0 });
  });
});

describe.each(CONTRACT_PROFILES)('keepalive: profile $name', (profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, { KEEPALIVE_INTERVAL_MS: '150' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('pings, keeps clients that answer, and cuts silent ones with their leave announced', async () => {
    const answering = await ChatClient.connect(server.wsUrl); // ws answers pings automatically
    const silent = await ChatClient.connect(server.wsUrl, { autoPong: false });
    const chatty = await ChatClient.connect(server.wsUrl, { autoPong: false });
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    // one join after the other: the contract orders one sender's frames, not two connections'
    answering.send({ type: 'join', user: 'answering' });
    expect(await answering.next()).toMatchObject({ type: 'join', user: 'answering' });
    silent.send({ type: 'join', user: 'silent' });
    expect(await answering.next()).toMatchObject({ type: 'join', user: 'silent' });
    const chatter = setInterval(() => chatty.send({ type: 'pong' }), 50); // app frames count as liveness
    try {
      expect(await answering.next(3000)).toEqual({ type: 'leave', room: 'public', user: 'silent', members: 1 });
      expect((await silent.closed).code).toBe(1006); // terminated, no close frame
      expect(pings).toBeGreaterThanOrEqual(1);
      await sleep(600); // four more ticks
      expect(answering.ws.readyState).toBe(WebSocket.OPEN);
      expect(chatty.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(chatter);
    }
    await answering.close();
    await chatty.close();
  });
});

describe.each(CONTRACT_PROFILES)('slow consumer: profile $name', (profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, {
      MAX_BUFFERED_BYTES: '65536',
      RATE_LIMIT_CAPACITY: '1000000',
      RATE_LIMIT_REFILL_PER_SEC: '1000000',
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('drops a member whose unsent output passes the bound, and the room goes on', async () => {
    const [sender, slow] = (await connectAll(server.wsUrl, 2)) as [ChatClient, ChatClient];
    await joinAll([sender, slow], 'slow');
    // The slow member stops reading: its TCP window fills, then the server's buffer.
    const slowSocket = (slow.ws as unknown as { _socket: { pause(): void } })._socket;
    slowSocket.pause();
    const text = 'y'.repeat(1000);
    let dropped = false;
    for (let sent = 0; sent < 40_000 && !dropped; sent += 200) {
      for (let i = 0; i < 200; i++) sender.send({ type: 'chat', room: 'slow', text });
      const frames = await sender.drain(10_000);
      dropped = frames.some((f) => f.type === 'leave' && f.user === 'u1');
    }
    expect(dropped).toBe(true);
    const stats = await server.waitForStats((s) => s.connections === 1);
    expect(stats.connections).toBe(1);
    sender.send({ type: 'chat', room: 'slow', text: 'alone' });
    expect(await sender.next()).toMatchObject({ type: 'chat', text: 'alone' });
    await sender.close();
  });
});

describe.each(PROFILES)('pipelining: profile $name', (profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a client that sends 20,000 frames at once, then reads, every one of them', async () => {
    const [client] = (await connectAll(server.wsUrl, 1)) as [ChatClient];
    client.send({ type: 'join', room: 'pipe', user: 'piper' });
    expect(await client.next()).toMatchObject({ type: 'join', user: 'piper' });
    const n = 20_000;
    for (let i = 0; i < n; i++) client.send({ type: 'chat', room: 'pipe', text: 'z'.repeat(40), id: `p${i}` });
    // each frame gets its chat or, past the connection's rate limit, its rate_limited error
    const answers = await client.drain(60_000);
    expect(answers).toHaveLength(n);
    const ids = answers.map((f) => (f.type === 'chat' ? f.id : f.code === 'rate_limited' ? f.ref : f));
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `p${i}`));
    await client.close();
  });
});

describe.each(PROFILES)('shutdown: profile $name', (profile) => {
  it('on SIGTERM closes every client with 1001 and exits 0', async () => {
    const server = await ServerProcess.start(profile);
    const clients = await connectAll(server.wsUrl, 3);
    await joinAll(clients, 'bye');
    const started = Date.now();
    const exit = server.stop();
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('while shutting down refuses new connections (503 to an upgrade), and waits for the close handshakes', async () => {
    const server = await ServerProcess.start(profile, { SHUTDOWN_GRACE_MS: '8000' });
    const holder = await RawSocket.openWebSocket(server.port); // will leave the server's close unanswered
    const early = await RawSocket.connect(server.port);
    early.write('GET /ws HTTP/1.1\r\n'); // a request begun before the signal
    const elsewhere = await RawSocket.connect(server.port);
    elsewhere.write('GET /foo HTTP/1.1\r\n'); // the same for another path
    const polite = await ChatClient.connect(server.wsUrl);
    const exit = server.stop();
    expect((await polite.closed).code).toBe(1001);
    expect(closeCodeIn(await holder.waitFor((d) => closeCodeIn(d) !== undefined))).toBe(1001);
    // a new connection finds no listener
    await expect(RawSocket.connect(server.port)).rejects.toThrow(/ECONNREFUSED/);
    // an upgrade completed now, on a connection opened before, is answered 503 and closed
    early.write(UPGRADE_HEADERS);
    const answer = (await early.waitFor((d) => d.includes('\r\n\r\n'))).toString();
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    await early.closed;
    // the path is checked first: another path is still 404, not 503
    elsewhere.write(UPGRADE_HEADERS);
    await elsewhere.closed;
    expectUpgradeNotFound(elsewhere.data.toString('latin1'));
    // the grace period: the server waits for the holder's half of the close handshake
    await sleep(300);
    expect(server.child.exitCode).toBeNull();
    holder.sendClose(1001);
    await holder.closed;
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it("closes a refused upgrade's connection itself: a client that keeps its half open does not hold up the exit", async () => {
    const server = await ServerProcess.start(profile);
    const raw = await upgrade(server.port, '/foo', { allowHalfOpen: true });
    try {
      await raw.waitFor(endOfHead);
      const started = Date.now();
      expect(await server.stop()).toEqual({ code: 0, signal: null }); // SIGKILL after 15 s otherwise
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      raw.destroy();
      await server.stop(); // no server left behind when a step above failed
    }
  });

  it('on SIGINT with no clients exits 0 promptly', async () => {
    const server = await ServerProcess.start(profile);
    server.child.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

describe.each(PROFILES)('rate limit settings: profile $name', (profile) => {
  it('gives each connection RATE_LIMIT_CAPACITY tokens, refilled at RATE_LIMIT_REFILL_PER_SEC', async () => {
    const server = await ServerProcess.start(profile, { RATE_LIMIT_CAPACITY: '3', RATE_LIMIT_REFILL_PER_SEC: '1' });
    try {
      const client = await ChatClient.connect(server.wsUrl);
      for (let i = 0; i < 4; i++) client.send({ type: 'leave', room: `r${i}`, id: `l${i}` });
      const first = (await client.drain()).map(comparable);
      expect(first.slice(0, 3).map((f) => f.code)).toEqual(['not_joined', 'not_joined', 'not_joined']);
      expect(first[3]).toEqual({ type: 'error', code: 'rate_limited', ref: 'l3', retryAfterMs: expect.any(Number) });
      // one token a second: the next one is most of a second away (at 10 a second it would be 100 ms)
      const wait = first[3]?.retryAfterMs as number;
      expect(wait).toBeGreaterThan(500);
      expect(wait).toBeLessThanOrEqual(1000);
      await sleep(wait + 20);
      // one token came back, not more
      client.send({ type: 'leave', room: 'again', id: 'a1' });
      client.send({ type: 'leave', room: 'again', id: 'a2' });
      const second = (await client.drain()).map(comparable);
      expect(second.map((f) => f.code)).toEqual(['not_joined', 'rate_limited']);
      expect(second[1]?.retryAfterMs).toBeGreaterThan(500);
      await client.close();
    } finally {
      await server.stop();
    }
  });
});

describe.each(PROFILES)('settings: profile $name', (profile) => {
  it('refuses to start on a bad value and names the variable', async () => {
    const result = await runToExit(profile, { PORT: '3000', MAX_FRAME_BYTES: 'lots', KEEPALIVE_INTERVAL_MS: '-5' });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('MAX_FRAME_BYTES');
    expect(result.output).toContain('KEEPALIVE_INTERVAL_MS');
  });
});

describe.each(PROFILES_A)('HTTP platform: profile $name', (profile) => {
  it('serves on the platform HTTP_PLATFORM names', async () => {
    const server = await ServerProcess.start(profile);
    try {
      const listening = server.log.split('\n').find((line) => line.includes('"msg":"listening"'));
      expect(JSON.parse(listening as string)).toMatchObject({ http: profile.env?.HTTP_PLATFORM });
    } finally {
      await server.stop();
    }
  });

  it('refuses to start on an unknown platform, naming the variable and its choices', async () => {
    const result = await runToExit(profile, { PORT: '0', HTTP_PLATFORM: 'bogus' });
    expect(result.code).toBe(2);
    expect(result.output).toContain("HTTP_PLATFORM must be one of express, fastify, got 'bogus'");
  });
});
