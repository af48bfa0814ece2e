/**
 * Scale-out (docs/CLUSTER.md): three Profile A processes with CHAT_BUS=redis on one real Redis
 * serve one chat. Clients are spread across the processes; the contract must hold as if there
 * were one server, and losing a process or Redis must cost no crash.
 */
import { get } from 'node:http';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient, type Frame } from './support/chat-client.js';
import { Nginx } from './support/nginx.js';
import { getOnNewConnection, parsePrometheus, promtoolProblems, type Scrape, sumOf } from './support/prometheus.js';
import { RedisServer } from './support/redis-server.js';
import { blockEventLoop } from './support/block-event-loop.js';
import { CLUSTER, PROFILE_A, runToExit, ServerProcess } from './support/server-process.js';
import { BusLink } from '../src/core/index.js';
import { RedisCluster } from '../tools/redis-cluster.js';
import { programCommand } from './support/system-programs.js';

/** Small, so that a killed process is reaped quickly; the bound below follows from it. */
const NODE_TIMEOUT_MS = 600;
/** docs/CLUSTER.md: a dead process's members leave within the timeout plus one heartbeat (timeout / 3); with slack for a loaded CI machine. */
const LEAVE_BOUND_MS = NODE_TIMEOUT_MS + NODE_TIMEOUT_MS / 3 + 1_500;
const CHATS_PER_CLIENT = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chatsOf = (frames: Frame[]) => frames.filter((f) => f.type === 'chat');

/** The chat_bus_* samples of a process's /metrics, by name. */
async function busMetrics(server: ServerProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^(chat_bus_\w+) (\S+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

/**
 * Connects `n` clients to `url` one after another, each joining `room` as `<prefix><i>`; checks
 * that every member sees each join with the global count.
 */
async function joinInTurn(url: string, room: string, prefix: string, n: number): Promise<ChatClient[]> {
  const clients: ChatClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = await ChatClient.connect(url);
    client.send({ type: 'join', room, user: `${prefix}${i}` });
    clients.push(client);
    for (const member of clients)
      expect(await member.next()).toEqual({ type: 'join', room, user: `${prefix}${i}`, members: i + 1 });
  }
  return clients;
}

/**
 * Where the bus runs: one redis-server, or a Redis Cluster of three masters with a replica each
 * (tools/redis-cluster.ts). An outage of the lobby's Redis is the server stopped and restarted
 * empty, or the master of the lobby's slot killed and its replica promoted.
 */
interface Backend {
  readonly env: Record<string, string>;
  /** Takes the lobby's Redis away. */
  outage(): Promise<void>;
  /** Brings it back. */
  recover(): Promise<void>;
  stop(): Promise<void>;
}

const BACKENDS: [string, () => Promise<Backend>][] = [
  [
    'one Redis',
    async () => {
      const redis = await RedisServer.start();
      return {
        env: { REDIS_URL: redis.url },
        outage: () => redis.stop(),
        recover: () => redis.restart(),
        stop: () => redis.stop(),
      };
    },
  ],
  [
    'a Redis Cluster',
    async () => {
      const [redisServer] = programCommand('redis-server');
      const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000, redisServer });
      let killed = 0;
      return {
        env: { REDIS_CLUSTER_NODES: cluster.seeds },
        outage: async () => {
          killed = await cluster.masterOf('chat:{lobby}');
          await cluster.kill(killed);
        },
        recover: async () => {
          await cluster.waitForFailover('chat:{lobby}', killed, 20_000);
        },
        stop: () => cluster.stop(),
      };
    },
  ],
];

describe.each(BACKENDS)('cluster: three Profile A processes on %s', (_, startBackend) => {
  let backend: Backend;
  const servers: ServerProcess[] = [];
  /** clients[i] is connected to servers[i % 3] and joins as u<i>. */
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    backend = await startBackend();
    const env = {
      CHAT_BUS: 'redis',
      ...backend.env,
      CHAT_BUS_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
      RATE_LIMIT_CAPACITY: '1000',
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < 3; i++) servers.push(await ServerProcess.start(PROFILE_A, env));
    await Promise.all(servers.map((s) => s.waitForBus()));
    for (let i = 0; i < 6; i++) clients.push(await ChatClient.connect((servers[i % 3] as ServerProcess).wsUrl));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await backend?.stop();
  });

  it('counts members across processes: each join reaches every member with the global count', async () => {
    for (let i = 0; i < clients.length; i++) {
      (clients[i] as ChatClient).send({ type: 'join', room: 'lobby', user: `u${i}` });
      for (const member of clients.slice(0, i + 1)) {
        expect(await member.next()).toEqual({ type: 'join', room: 'lobby', user: `u${i}`, members: i + 1 });
      }
    }
  });

  it('fans every chat out to every member on every process, with one gap-free seq everywhere', async () => {
    // every client sends without waiting: the processes publish concurrently
    for (let k = 0; k < CHATS_PER_CLIENT; k++) {
      clients.forEach((c, i) => c.send({ type: 'chat', room: 'lobby', text: `${i}:${k}`, id: `m${i}-${k}` }));
    }
    const total = clients.length * CHATS_PER_CLIENT;
    const seen: Frame[][] = [];
    for (const client of clients) {
      const frames: Frame[] = [];
      while (frames.length < total) frames.push(await client.next());
      seen.push(frames);
    }
    // the same frames in the same order for everyone
    for (const frames of seen) expect(frames).toEqual(seen[0]);
    const first = seen[0] as Frame[];
    expect(first.map((f) => f.seq)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    // one sender's messages in the order sent, each once
    for (let i = 0; i < clients.length; i++) {
      const mine = first.filter((f) => f.user === `u${i}`).map((f) => f.text);
      expect(mine).toEqual(Array.from({ length: CHATS_PER_CLIENT }, (_, k) => `${i}:${k}`));
    }
    for (const client of clients) expect(await client.drain()).toEqual([]);
  });

  it('keeps rooms apart across processes', async () => {
    const [a, b] = [
      await ChatClient.connect((servers[0] as ServerProcess).wsUrl),
      await ChatClient.connect((servers[2] as ServerProcess).wsUrl),
    ];
    a.send({ type: 'join', room: 'side', user: 'sa' });
    expect(await a.next()).toEqual({ type: 'join', room: 'side', user: 'sa', members: 1 });
    b.send({ type: 'join', room: 'side', user: 'sb' });
    b.send({ type: 'chat', room: 'side', text: 'side talk' });
    for (const c of [a, b]) {
      const frames = [await c.next(), await c.next()].filter((f) => f.type === 'chat' || f.user === 'sb');
      expect(frames).toEqual([
        { type: 'join', room: 'side', user: 'sb', members: 2 },
        { type: 'chat', room: 'side', user: 'sb', text: 'side talk', seq: 1 },
      ]);
    }
    // a chat in the lobby after the side traffic: the lobby members see it, and nothing of `side`
    (clients[1] as ChatClient).send({ type: 'chat', room: 'lobby', text: 'after side' });
    for (const client of clients)
      expect(await client.next()).toMatchObject({ type: 'chat', room: 'lobby', text: 'after side' });
    expect(await a.drain()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('gives a leaver its own last chat, then its leave, as the last frames of the room', async () => {
    const leaver = clients[0] as ChatClient;
    leaver.send({ type: 'chat', room: 'lobby', text: 'last words' });
    leaver.send({ type: 'leave', room: 'lobby' });
    for (const client of clients) {
      expect(await client.next()).toMatchObject({ type: 'chat', user: 'u0', text: 'last words' });
      expect(await client.next()).toEqual({ type: 'leave', room: 'lobby', user: 'u0', members: 5 });
    }
    expect(await leaver.drain()).toEqual([]);
  });

  it('announces the members of a killed process as leaving, within the documented bound', async () => {
    // lobby now: u1..u5; servers[2] holds u2 and u5
    const killed = servers[2] as ServerProcess;
    const started = Date.now();
    killed.child.kill('SIGKILL');
    const survivors = [clients[1], clients[3], clients[4]] as ChatClient[];
    for (const client of survivors) {
      const leaves = [await client.next(LEAVE_BOUND_MS), await client.next(LEAVE_BOUND_MS)];
      expect(leaves.map((f) => f.type)).toEqual(['leave', 'leave']);
      expect(leaves.map((f) => f.user).sort()).toEqual(['u2', 'u5']);
      expect(leaves.map((f) => f.members)).toEqual([4, 3]);
    }
    expect(Date.now() - started).toBeLessThan(LEAVE_BOUND_MS);
    // the room goes on with the same seq: 121 chats and 'after side' and 'last words' so far
    (clients[3] as ChatClient).send({ type: 'chat', room: 'lobby', text: 'still here' });
    for (const client of survivors)
      expect(await client.next()).toMatchObject({ text: 'still here', seq: 6 * CHATS_PER_CLIENT + 3 });
  });

  it('survives Redis stopping and restarting: local service meanwhile, one chat again after', async () => {
    // servers[0] holds u3; servers[1] holds u1 and u4
    const [u1, u3, u4] = [clients[1], clients[3], clients[4]] as ChatClient[];
    const live = [servers[0], servers[1]] as ServerProcess[];
    for (const server of live) {
      const before = await busMetrics(server);
      expect(before).toMatchObject({
        chat_bus_up: 1,
        chat_bus_lost_total: 0,
        chat_bus_resyncs_total: 1,
        chat_bus_in_flight: 0,
      });
      expect(before.chat_bus_published_total).toBeGreaterThan(0);
      expect(before.chat_bus_received_total).toBeGreaterThan(before.chat_bus_published_total as number);
    }
    // servers[0] or servers[1] reaped the killed servers[2]
    expect(
      ((await busMetrics(live[0] as ServerProcess)).chat_bus_reaped_total as number) +
        ((await busMetrics(live[1] as ServerProcess)).chat_bus_reaped_total as number),
    ).toBe(1);
    await backend.outage();
    for (const server of live) {
      await expect
        .poll(async () => (await server.getJson('/health/ready')).body?.details?.chatBus?.status, { timeout: 5_000 })
        .toBe('degraded');
      expect(await busMetrics(server)).toMatchObject({ chat_bus_up: 0, chat_bus_lost_total: 1 });
    }
    // alone, servers[1] still serves its own members, continuing the seq it saw
    u1.send({ type: 'chat', room: 'lobby', text: 'during the outage' });
    for (const client of [u1, u4])
      expect(await client.next()).toMatchObject({ text: 'during the outage', seq: 6 * CHATS_PER_CLIENT + 4 });
    expect(await u3.drain()).toEqual([]);

    await backend.recover(); // one Redis: empty, it lost every key; a cluster: the replica's copy
    for (const server of live) {
      await server.waitForBus(20_000);
      // Back on the bus. A process may have gone back before its client saw the new master of
      // the lobby's slot, and lost the bus again at its first command there: each loss counts,
      // and was followed by one resync.
      const after = await busMetrics(server);
      expect(after.chat_bus_up).toBe(1);
      expect(after.chat_bus_lost_total).toBeGreaterThanOrEqual(1);
      expect(after.chat_bus_resyncs_total).toBe((after.chat_bus_lost_total as number) + 1);
    }
    // The processes registered their members again: those Redis lacked were announced.
    // A chat from each process follows its own registration in Redis' one order, so once both
    // chats have arrived every announcement has too (no waiting on time).
    u3.send({ type: 'chat', room: 'lobby', text: 'back together' }); // on servers[0]
    u1.send({ type: 'chat', room: 'lobby', text: 'back again' }); // on servers[1]
    const orders: string[][] = [];
    for (const client of [u1, u3, u4]) {
      const chats: Frame[] = [];
      while (chats.length < 2) {
        const frame = await client.next();
        if (frame.type === 'chat') {
          chats.push(frame);
          continue;
        }
        expect(frame).toMatchObject({ type: 'join', room: 'lobby' });
        expect(['u1', 'u3', 'u4']).toContain(frame.user);
      }
      // one room again: seq goes on above every seq delivered
      expect(chats.map((f) => f.seq)).toEqual([6 * CHATS_PER_CLIENT + 5, 6 * CHATS_PER_CLIENT + 6]);
      orders.push(chats.map((f) => f.text));
    }
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // and the count is global
    const newcomer = await ChatClient.connect((servers[0] as ServerProcess).wsUrl);
    newcomer.send({ type: 'join', room: 'lobby', user: 'late' });
    expect(await newcomer.next()).toEqual({ type: 'join', room: 'lobby', user: 'late', members: 4 });
    for (const client of [u1, u3, u4])
      expect(await client.next()).toEqual({ type: 'join', room: 'lobby', user: 'late', members: 4 });
    await newcomer.close();
    for (const client of [u1, u3, u4])
      expect(await client.next()).toEqual({ type: 'leave', room: 'lobby', user: 'late', members: 3 });
    for (const server of live) expect(server.child.exitCode).toBeNull();
  });

  it("on SIGTERM a process announces its members' leaves at once and exits 0", async () => {
    const [u1, u3, u4] = [clients[1], clients[3], clients[4]] as ChatClient[];
    const exit = (servers[1] as ServerProcess).stop();
    for (const client of [u1, u4]) expect((await client.closed).code).toBe(1001);
    const leaves = [await u3.next(), await u3.next()];
    expect(leaves.map((f) => f.user).sort()).toEqual(['u1', 'u4']);
    expect(leaves.map((f) => f.members)).toEqual([2, 1]);
    expect(await exit).toEqual({ code: 0, signal: null });
    // leaving the bus announced nobody twice
    expect(await u3.drain()).toEqual([]);
  });
});

describe('cluster: every key the bus writes expires', () => {
  it('carries a TTL on each key, renewed while a process lives, so nothing outlives every process', async () => {
    const redis = await RedisServer.start();
    const admin = new Redis(redis.url);
    const servers: ServerProcess[] = [];
    try {
      const env = {
        CHAT_BUS: 'redis',
        REDIS_URL: redis.url,
        CHAT_BUS_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
        LOG_LEVEL: 'warn',
      };
      for (let i = 0; i < 2; i++) servers.push(await ServerProcess.start(PROFILE_A, env));
      await Promise.all(servers.map((s) => s.waitForBus()));
      const clients = [await ChatClient.connect(servers[0]!.wsUrl), await ChatClient.connect(servers[1]!.wsUrl)];
      for (const [i, client] of clients.entries()) {
        for (const room of ['k1', 'k2']) client.send({ type: 'join', room, user: `k${i}` });
        client.send({ type: 'chat', room: 'k1', text: 'x' });
        await client.drain();
      }
      const ttl = 3 * NODE_TIMEOUT_MS; // docs/CLUSTER.md: three node timeouts
      const keys = (await admin.keys('*')).sort();
      // every key is a room's (one hash tag, one slot): no per-process or global key
      expect(keys.every((k) => /^chat:\{k[12]\}:/.test(k))).toBe(true);
      for (const room of ['k1', 'k2']) {
        expect(keys).toEqual(expect.arrayContaining([`chat:{${room}}:members`, `chat:{${room}}:nodes`]));
        expect(keys.filter((k) => k.startsWith(`chat:{${room}}:node:`))).toHaveLength(2);
        expect(await admin.zcard(`chat:{${room}}:nodes`)).toBe(2);
      }
      expect(keys).toEqual(expect.arrayContaining(['chat:{k1}:seq']));
      const ttls = async () =>
        Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await admin.pttl(k)] as const)));
      for (const [key, left] of Object.entries(await ttls())) {
        expect(left, key).toBeGreaterThan(0);
        expect(left, key).toBeLessThanOrEqual(ttl);
      }
      // twice the TTL later, the heartbeats have kept every key of the live processes
      await sleep(2 * ttl);
      for (const [key, left] of Object.entries(await ttls())) expect(left, key).toBeGreaterThan(0);
      expect(await admin.get('chat:{k1}:members')).toBe('2');
      // every process killed: nobody is left to reap, and the keys expire on their own
      for (const server of servers) server.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => s.exited));
      await expect.poll(() => admin.dbsize(), { timeout: ttl + 3_000 }).toBe(0);
    } finally {
      admin.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
      await redis.stop();
    }
  });
});

describe('cluster: Redis killed in the middle of a burst', () => {
  const WAVES = 30;
  const PER_WAVE = 10;
  let redis: RedisServer;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { CHAT_BUS: 'redis', REDIS_URL: redis.url, RATE_LIMIT_CAPACITY: '100000', LOG_LEVEL: 'error' };
    for (let i = 0; i < 2; i++) servers.push(await ServerProcess.start(PROFILE_A, env));
    await Promise.all(servers.map((s) => s.waitForBus()));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  });

  it('delivers each own-process chat once and in order, a prefix of each remote sender, seq only rising', async () => {
    const clients: ChatClient[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await ChatClient.connect((servers[i % 2] as ServerProcess).wsUrl);
      client.send({ type: 'join', room: 'storm', user: `s${i}` });
      clients.push(client);
    }
    for (const client of clients) expect((await client.drain()).filter((f) => f.type === 'chat')).toEqual([]);
    for (let wave = 0; wave < WAVES; wave++) {
      for (let k = 0; k < PER_WAVE; k++)
        clients.forEach((c, i) => c.send({ type: 'chat', room: 'storm', text: `${i}:${wave * PER_WAVE + k}` }));
      if (wave === WAVES / 3) void redis.stop();
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 300));
    const total = WAVES * PER_WAVE;
    for (let i = 0; i < clients.length; i++) {
      const chats = chatsOf(await (clients[i] as ChatClient).drain());
      // seq only rises for every member
      for (let k = 1; k < chats.length; k++) expect(chats[k]?.seq).toBeGreaterThan(chats[k - 1]?.seq);
      for (let sender = 0; sender < clients.length; sender++) {
        const texts = chats.filter((f) => f.user === `s${sender}`).map((f) => f.text);
        const sent = Array.from({ length: total }, (_, k) => `${sender}:${k}`);
        if (sender % 2 === i % 2)
          expect(texts).toEqual(sent); // same process: all of it, once each
        else expect(texts).toEqual(sent.slice(0, texts.length)); // other process: what got through before
      }
    }
    for (const server of servers) {
      expect(server.child.exitCode).toBeNull();
      expect((await server.getJson('/health/ready')).body.details.chatBus.status).toBe('degraded');
    }
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('npm run start:cluster: two workers on one port', () => {
  let redis: RedisServer;
  let cluster: ServerProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    cluster = await ServerProcess.start(CLUSTER, {
      CLUSTER_WORKERS: '2',
      REDIS_URL: redis.url,
      CHAT_BUS_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  /** The bus node ids answering /health/ready, a new connection each (connections go to the workers in turn). */
  async function nodes(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const body = await new Promise<any>((resolve) => {
        get(`${cluster.httpUrl}/health/ready`, { agent: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        }).on('error', () => resolve(undefined));
      });
      if (body?.details?.chatBus?.bus === 'redis') ids.add(body.details.chatBus.node);
    }
    return ids;
  }

  /** One scrape of /metrics on a new connection, so that successive scrapes reach both workers. */
  async function scrape(): Promise<Scrape> {
    const res = await getOnNewConnection(`${cluster.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    return parsePrometheus(res.text);
  }

  /** The `worker` labels of a metric every worker has. */
  const workersIn = (s: Scrape) =>
    new Set(s.samples.filter((x) => x.name === 'chat_connections').map((x) => x.labels.worker));

  it('answers /metrics for the whole cluster: every worker labelled, counters never going back under traffic', async () => {
    await expect.poll(async () => (await nodes()).size, { timeout: 10_000 }).toBe(2);
    const clients = await joinInTurn(cluster.wsUrl, 'metered', 'm', 4);
    const before = await scrape();
    const chatsBefore = sumOf(before, 'chat_frames_in_total', { type: 'chat' });
    let chats = 0;
    let previous = before;
    for (let round = 0; round < 10; round++) {
      // traffic on both workers while the scrapes go on
      for (const client of clients) client.send({ type: 'chat', room: 'metered', text: `r${round}` });
      chats += clients.length;
      const decision = fetch(`${cluster.httpUrl}/v1/check_and_consume`, {
        method: 'POST',
        body: JSON.stringify({ policy: 'per-user', subject: { user: `r${round}` } }),
      });
      const current = await scrape();
      await decision;
      expect([...workersIn(current)].sort()).toEqual([...workersIn(before)].sort());
      expect(workersIn(current).size).toBe(2);
      expect(current.byKey.get('cluster_workers')).toBe(2);
      expect(current.byKey.get('cluster_scrape_missing_workers')).toBe(0);
      expect(sumOf(current, 'chat_connections')).toBe(clients.length);
      // every counter and histogram series of the last scrape is there again, and not lower
      for (const sample of previous.samples) {
        if (sample.type !== 'counter' && sample.type !== 'histogram') continue;
        const key = sample.name + JSON.stringify(sample.labels);
        const now = current.samples.find((x) => x.name + JSON.stringify(x.labels) === key);
        expect(now?.value, key).toBeGreaterThanOrEqual(sample.value);
      }
      previous = current;
    }
    for (const client of clients) await client.drain();
    const after = await scrape();
    // the whole cluster counted: every chat, whichever worker took it
    expect(sumOf(after, 'chat_frames_in_total', { type: 'chat' }) - chatsBefore).toBe(chats);
    expect(
      sumOf(after, 'limiter_decisions_total', { policy: 'per-user' }) -
        sumOf(before, 'limiter_decisions_total', { policy: 'per-user' }),
    ).toBe(10);
    expect(
      after.samples
        .filter((x) => x.name === 'process_cpu_seconds_total')
        .map((x) => x.labels.worker)
        .sort(),
    ).toEqual(['primary', ...workersIn(after)].sort());
    expect(promtoolProblems(await (await getOnNewConnection(`${cluster.httpUrl}/metrics`)).text)).toEqual([]);
    await Promise.all(clients.map((c) => c.close()));
    await expect.poll(async () => sumOf(await scrape(), 'chat_connections'), { timeout: 5_000 }).toBe(0);
  });

  it('serves one chat from two workers, restarts a killed worker, and stops with 1001 and exit 0', async () => {
    await expect.poll(async () => (await nodes()).size, { timeout: 10_000 }).toBe(2);
    const clients = await joinInTurn(cluster.wsUrl, 'one', 'w', 4);
    clients.forEach((c, i) => c.send({ type: 'chat', room: 'one', text: `from ${i}` }));
    const seen = await Promise.all(
      clients.map(async (c) => [await c.next(), await c.next(), await c.next(), await c.next()]),
    );
    for (const frames of seen) expect(frames).toEqual(seen[0]);
    expect(seen[0]?.map((f) => f.seq)).toEqual([1, 2, 3, 4]);

    // a worker dies: its clients are cut, the others hear them leave, the primary starts another
    const before = await nodes();
    const victim = [...before][0] as string;
    process.kill(Number(victim.split('-')[0]), 'SIGKILL');
    const cut = await Promise.all(
      clients.map((c) =>
        Promise.race([c.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), LEAVE_BOUND_MS))]),
      ),
    );
    const survivors = clients.filter((_, i) => !cut[i]);
    const gone = clients.length - survivors.length;
    // node:cluster hands connections to the workers in turn: both hold some
    expect(gone).toBeGreaterThan(0);
    expect(survivors.length).toBeGreaterThan(0);
    for (const client of survivors) {
      const leaves: Frame[] = [];
      while (leaves.length < gone) leaves.push(await client.next(LEAVE_BOUND_MS));
      expect(leaves.map((f) => f.type)).toEqual(Array(gone).fill('leave'));
      expect(leaves.map((f) => f.members)).toEqual(Array.from({ length: gone }, (_, k) => clients.length - 1 - k));
    }
    await expect
      .poll(async () => [...(await nodes())].filter((id) => !before.has(id)).length, { timeout: 10_000 })
      .toBe(1);
    // the dead worker's series are gone, the new worker's are there: two workers, one exit
    const metrics = await scrape();
    expect(workersIn(metrics).size).toBe(2);
    expect(metrics.byKey.get('cluster_worker_exits_total')).toBe(1);

    const exit = cluster.stop();
    for (const client of survivors) expect((await client.closed).code).toBe(1001);
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it.each([
    [
      'CHAT_BUS',
      'local',
      'CHAT_BUS=local would make each worker a chat of its own: members on different workers would not see each other',
    ],
    [
      'LIMITER_STORE',
      'memory',
      'LIMITER_STORE=memory would give each worker its own limiter state: a subject whose requests are spread over N workers would be allowed up to N times its limit',
    ],
  ])('refuses %s=%s, saying why in its own terms', async (name, value, why) => {
    const result = await runToExit(CLUSTER, { PORT: '0', REDIS_URL: redis.url, [name]: value });
    expect(result.code).toBe(2);
    expect(result.output).toContain(why);
    expect(result.output).toContain(`use ${name}=redis (or leave it unset)`);
  });
});

describe('docker/nginx.conf: the compose load balancer in front of two processes', () => {
  let redis: RedisServer;
  const servers: ServerProcess[] = [];
  let lb: Nginx;

  beforeAll(async () => {
    redis = await RedisServer.start();
    for (let i = 0; i < 2; i++)
      servers.push(
        await ServerProcess.start(PROFILE_A, { CHAT_BUS: 'redis', REDIS_URL: redis.url, LOG_LEVEL: 'warn' }),
      );
    await Promise.all(servers.map((s) => s.waitForBus()));
    lb = await Nginx.start(servers.map((s) => s.port));
  });

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  });

  it('passes WebSockets through, spreads them over both processes, and they share one room', async () => {
    const clients = await joinInTurn(lb.wsUrl, 'via-lb', 'n', 4);
    // least_conn spread them: both processes hold connections
    for (const server of servers) expect((await server.stats()).connections).toBeGreaterThan(0);
    clients.forEach((c, i) => c.send({ type: 'chat', room: 'via-lb', text: `via ${i}` }));
    const seen = await Promise.all(
      clients.map(async (c) => [await c.next(), await c.next(), await c.next(), await c.next()]),
    );
    for (const frames of seen) expect(frames).toEqual(seen[0]);
    expect(seen[0]?.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('the bus: a timeout means Redis was slow', () => {
  let redis: RedisServer;
  let link: BusLink;
  let admin: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const none = () => {};
    link = new BusLink(
      { url: redis.url, nodeId: 'timing', nodeTimeoutMs: 60_000 },
      { message: none, ready: none, closed: none },
    );
    await link.connect();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    link?.disconnect();
    admin?.disconnect();
    await redis?.stop();
  });

  it("keeps the bus when this process's own event loop was blocked past the command timeout (2 s)", async () => {
    const beat = link.heartbeat(['r'], 0);
    // the command goes out, then the loop is blocked past the timeout while the reply arrives
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        blockEventLoop(2_300);
        resolve();
      }),
    );
    await expect(beat).resolves.toHaveLength(2); // [registered, reaped]: answered, not timed out
  });

  it('still loses it when Redis itself does not answer in time', async () => {
    await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
    await expect(link.heartbeat(['r'], 0)).rejects.toThrow(/no reply from Redis within 2000 ms/);
  });
});

describe("the bus's subscriptions on a Redis Cluster", () => {
  let cluster: RedisCluster;
  let link: BusLink;
  const received: string[] = [];
  beforeAll(async () => {
    const [redisServer] = programCommand('redis-server');
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, redisServer });
    const seeds = cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) }));
    const none = () => {};
    link = new BusLink(
      { url: '', clusterNodes: seeds, nodeId: 'subs', nodeTimeoutMs: 60_000 },
      { message: (channel) => received.push(channel.toString()), ready: none, closed: none },
    );
    await link.connect();
    for (let waited = 0; !link.ready && waited < 5_000; waited += 10) await sleep(10);
  }, 60_000);
  afterAll(async () => {
    link?.disconnect();
    await cluster?.stop();
  });

  it("subscribes on each shard's subscriber connection, whatever the churn, and on many slots at once", async () => {
    expect(link.ready).toBe(true);
    const channel = (i: number) => `chat:{sub-${i}}`;
    // rooms opened and closed in quick succession, as a busy process does: every script,
    // subscription and unsubscription of a round asked in one turn of the event loop
    for (let round = 0; round < 20; round++) {
      const asked: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        asked.push(link.heartbeat([`sub-${i}`], 0)); // a script on the channel's slot
        asked.push(link.subscribe(channel(i)));
        if ((i + round) % 3 === 0) asked.push(link.unsubscribe(channel(i)));
      }
      await Promise.all(asked);
    }
    // a resync: every room's channel in one call, whatever their slots
    await link.subscribe(...Array.from({ length: 40 }, (_, i) => channel(i)));
    // on every master, only the sharded subscriber holds subscriptions
    const ports = (await cluster.masters()).map((m) => m.port);
    for (const port of ports) {
      const admin = new Redis(port, '127.0.0.1');
      const clients = String(await admin.call('CLIENT', 'LIST'));
      admin.disconnect();
      const subscribed = [...clients.matchAll(/ name=(\S*) .* ssub=([1-9]\d*) /g)].map((m) => m[1]);
      expect(
        subscribed.every((name) => name === 'ioredis-cluster(ssubscriber)'),
        clients,
      ).toBe(true);
    }
    // and every channel's message reaches the link
    const publisher = new Cluster([{ host: '127.0.0.1', port: ports[0] as number }]);
    for (let i = 0; i < 40; i++) expect(await publisher.spublish(channel(i), 'hello')).toBe(1);
    publisher.disconnect();
    await expect.poll(() => received.length).toBe(40);
    expect(new Set(received).size).toBe(40);
  });
});
