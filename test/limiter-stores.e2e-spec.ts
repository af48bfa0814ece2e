/**
 * test/vectors/limiter.json on every store, through each store's real code path with the clock
 * injected (the Redis script takes `now` as an argument), and the Redis store's production
 * behaviour on a real redis-server: Redis TIME, TTLs, atomicity across clients.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlgorithmState,
  decide,
  initialState,
  type LimiterStore,
  MemoryLimiterStore,
  mergeStates,
  type Policy,
  RedisLimiterStore,
} from '../src/core/index.js';
import { RedisServer } from './support/redis-server.js';
import { blockEventLoop } from './support/block-event-loop.js';

interface Step {
  now: number;
  op: 'check' | 'consume';
  cost: number;
  expect: { allowed: boolean; remaining: number; retryAfterMs: number; resetMs: number };
}
interface Case {
  name: string;
  policy: string;
  key: string;
  steps: Step[];
}
const vectors: { policies: Policy[]; cases: Case[] } = JSON.parse(
  readFileSync(new URL('./vectors/limiter.json', import.meta.url), 'utf8'),
);
const policies = new Map(vectors.policies.map((p) => [p.name, p]));

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

let now = 0;
const clock = () => now;
const stores: { name: string; make: () => LimiterStore }[] = [
  { name: 'memory', make: () => new MemoryLimiterStore({ clock, sweepIntervalMs: 0 }) },
  {
    name: 'redis',
    // Vector time is not wall time: keep keys alive well past the vectors' own expiry.
    make: () => new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 2000, clock, ttlSlackMs: 600_000 }),
  },
];

describe.each(stores)('limiter vectors on the $name store', ({ make }) => {
  let store: LimiterStore;
  beforeAll(async () => {
    store = make();
    if (store instanceof RedisLimiterStore) expect(await store.whenReady(5000)).toBe(true);
  });
  afterAll(async () => {
    await store.close();
  });

  it.each(vectors.cases)('$name', async (c) => {
    const policy = policies.get(c.policy) as Policy;
    const key = `${c.key}:${Math.random()}`;
    for (const [i, step] of c.steps.entries()) {
      now = step.now;
      const d = await store.decide(key, policy, step.cost, step.op === 'consume');
      const { allowed, remaining, retryAfterMs, resetMs } = d;
      expect({ step: i, allowed, remaining, retryAfterMs, resetMs }).toEqual({ step: i, ...step.expect });
      expect(d.now).toBe(step.now);
    }
  });
});

describe('Redis store in production mode', () => {
  const window: Policy = { name: 'w', algorithm: 'sliding_window', scope: ['ip'], limit: 50, windowMs: 600_000 };
  const bucket: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['ip'], capacity: 5, refillPerSec: 1 };
  let a: RedisLimiterStore;
  let b: RedisLimiterStore;
  let admin: Redis;
  beforeAll(async () => {
    a = new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 2000 });
    b = new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 2000 });
    admin = new Redis(redis.url);
    expect(await a.whenReady(5000)).toBe(true);
    expect(await b.whenReady(5000)).toBe(true);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    admin.disconnect();
  });

  const redisTime = async () => {
    const [seconds, micros] = await admin.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  it('decides at Redis TIME and sets a TTL on every key it writes: reset + 1 s of slack', async () => {
    const before = await redisTime();
    const d = await a.decide('rl:{b:ttl}', bucket, 2, true);
    const after = await redisTime();
    expect(d).toMatchObject({ allowed: true, remaining: 3, resetMs: 2000, store: 'redis' });
    expect(d.now).toBeGreaterThanOrEqual(before);
    expect(d.now).toBeLessThanOrEqual(after);
    const ttl = await admin.pttl('rl:{b:ttl}');
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3000); // reset + 1 s slack
    // the sliding window's key too: its state lives until the current window has left the next one
    const w = await a.decide('rl:{w:ttl}', window, 1, true);
    expect(w.resetMs).toBeGreaterThan(600_000);
    const wttl = await admin.pttl('rl:{w:ttl}');
    expect(wttl).toBeGreaterThan(w.resetMs);
    expect(wttl).toBeLessThanOrEqual(w.resetMs + 1000);
    await a.decide('rl:{b:peek}', bucket, 1, false);
    await a.decide('rl:{w:peek}', window, 1, false);
    expect(await admin.exists('rl:{b:peek}', 'rl:{w:peek}')).toBe(0); // a peek writes nothing
  });

  it('never allows more than the policy under concurrent consumes from two clients', async () => {
    const key = `rl:{w:race-${Math.random()}}`;
    const calls = Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).decide(key, window, 1, true));
    const decisions = await Promise.all(calls);
    expect(decisions.filter((d) => d.allowed).length).toBe(50);
  });

  it('keeps token-bucket state exact between calls (17 significant digits)', async () => {
    const odd: Policy = { name: 'o', algorithm: 'token_bucket', scope: ['ip'], capacity: 3, refillPerSec: 3 };
    const mem = new MemoryLimiterStore({ clock, sweepIntervalMs: 0 });
    const red = new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 2000, clock, ttlSlackMs: 600_000 });
    expect(await red.whenReady(5000)).toBe(true);
    const key = `rl:{o:${Math.random()}}`;
    for (let t = 0; t < 3000; t += 37) {
      now = 1_000_000 + t;
      const fromMemory = mem.decide(key, odd, 1, true);
      const fromRedis = await red.decide(key, odd, 1, true);
      expect({ ...fromRedis, state: undefined, store: 'memory' }).toEqual(fromMemory);
    }
    mem.close();
    await red.close();
  });
});

describe('Redis store: exact state out, handed-back state in', () => {
  const bucket: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['ip'], capacity: 7, refillPerSec: 3 };
  const window: Policy = { name: 'w', algorithm: 'sliding_window', scope: ['ip'], limit: 9, windowMs: 1000 };
  let red: RedisLimiterStore;
  let admin: Redis;
  beforeAll(async () => {
    red = new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 2000, clock, ttlSlackMs: 600_000 });
    admin = new Redis(redis.url);
    expect(await red.whenReady(5000)).toBe(true);
  });
  afterAll(async () => {
    await red.close();
    admin.disconnect();
  });

  /** A small deterministic generator, so that a failure reproduces. */
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const int = (n: number) => Math.floor(random() * n);

  it('merges a handed-back state as mergeStates does, then decides as the reference, and returns the exact state', async () => {
    for (let i = 0; i < 300; i++) {
      const policy: Policy = i % 2 ? window : bucket;
      const key = `rl:{merge:${i}}`;
      now = 1_000_000 + int(5000);
      let stored: AlgorithmState | undefined;
      let handBack: AlgorithmState;
      if (policy === bucket) {
        stored = int(4) ? { tokens: random() * 7, ts: now - int(3000) } : undefined;
        handBack = { tokens: random() * 7, ts: now - int(3000) + int(500) };
        if (stored) await admin.hset(key, 't', String(stored.tokens), 'ts', String(stored.ts));
      } else {
        const start = (n: number) => n - (n % 1000);
        stored = int(4) ? { start: start(now - int(2500)), cur: int(10), prev: int(10) } : undefined;
        handBack = { start: start(now - int(2500) + int(800)), cur: int(10), prev: int(10) };
        if (stored) await admin.hset(key, 's', stored.start, 'c', stored.cur, 'p', stored.prev);
      }
      const cost = int(3);
      const consume = int(3) > 0;
      const d = await red.decide(key, policy, cost, consume, handBack);
      const state = mergeStates(stored ?? initialState(policy, now), handBack, policy, now);
      const reference = decide(state, policy, now, cost, consume);
      const { allowed, remaining, retryAfterMs, resetMs } = d;
      expect({ i, allowed, remaining, retryAfterMs, resetMs }).toEqual({ i, ...reference });
      // the merged state is written, by a peek too, and returned exactly
      const written = policy === bucket ? await admin.hmget(key, 't', 'ts') : await admin.hmget(key, 's', 'c', 'p');
      const expected =
        policy === bucket
          ? [(state as { tokens: number }).tokens, (state as { ts: number }).ts]
          : [(state as { start: number }).start, (state as { cur: number }).cur, (state as { prev: number }).prev];
      expect({ i, written: written.map(Number) }).toEqual({ i, written: expected });
      expect({ i, state: d.state }).toEqual({ i, state });
    }
  });

  it('returns the state it stores after every call, which a memory store adopting it goes on from exactly', async () => {
    const mem = new MemoryLimiterStore({ clock, sweepIntervalMs: 0 });
    const key = `rl:{b:${Math.random()}}`;
    for (let t = 0; t < 3000; t += 41) {
      now = 2_000_000 + t;
      const d = await red.decide(key, bucket, 1, true);
      mem.adopt(key, bucket, d, mem.stamp(key), t + 1, 1, 1);
      // the next call decided in memory equals the one Redis would decide
      now += 17;
      const local = mem.decide(key, bucket, 1, false);
      const remote = await red.decide(key, bucket, 1, false);
      expect({ ...remote, state: undefined, store: 'memory' }).toEqual({ ...local, state: undefined });
    }
    mem.close();
  });
});

describe('Redis store: a timeout means Redis was slow', () => {
  const policy: Policy = { name: 't', algorithm: 'token_bucket', scope: ['ip'], capacity: 5, refillPerSec: 1 };
  let store: RedisLimiterStore;
  let admin: Redis;
  beforeAll(async () => {
    store = new RedisLimiterStore({ url: redis.url, commandTimeoutMs: 50 });
    admin = new Redis(redis.url);
    expect(await store.whenReady(5000)).toBe(true);
  });
  afterAll(async () => {
    await store.close();
    admin.disconnect();
  });

  it("decides on a healthy Redis when this process's own event loop was blocked past the timeout", async () => {
    const decision = store.decide(`rl:{t:${Math.random()}}`, policy, 1, true);
    // the command goes out, then the loop is blocked four timeouts long while the reply arrives
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        blockEventLoop(200);
        resolve();
      }),
    );
    await expect(decision).resolves.toMatchObject({ allowed: true, remaining: 4, store: 'redis' });
  });

  it('still times out when Redis itself does not answer in time', async () => {
    await admin.call('CLIENT', 'PAUSE', '300', 'ALL');
    // (paused for 300 ms, Redis would answer: a rejection is the timeout's)
    await expect(store.decide(`rl:{t:${Math.random()}}`, policy, 1, true)).rejects.toThrow(
      /no reply from Redis within 50 ms/,
    );
    await expect(store.ping()).rejects.toThrow(/no reply from Redis/);
  });
});
